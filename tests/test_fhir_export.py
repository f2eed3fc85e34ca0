"""Exports for the GP record: FHIR resources that validate, name their UK Core profile, and
carry only the codes that are published (NHS number system, the SNOMED CT referral code)."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.fhir_export import NHS_NUMBER, RESOURCE_TYPES, UK_CORE
from pwa.models import AuditEvent, Patient, User, utcnow

from .conftest import SWEMWBS_ALL_3, make_check_in, make_follow_up, make_patient, sign_in


def validated(resource: dict[str, Any]) -> Any:
    """Validate with fhir.resources' R4B models (FHIR 4.3, the library's R4 line)."""
    name = resource["resourceType"]
    module = importlib.import_module(f"fhir.resources.R4B.{name.lower()}")
    return getattr(module, name).model_validate(resource)


@pytest.fixture
def recorded(worker: User, patient_user: User) -> Patient:
    patient = make_patient(
        worker, given_name="Margaret", family_name="O'Brien", nhs_number="9434765919",
        phone="0113 496 0000", postcode="LS7 4AB",
    )  # fmt: skip
    make_check_in(patient, worker, measures={
        "ons4": {"life_satisfaction": 6, "worthwhile": 7, "happiness": 5, "anxiety": 3},
        "swemwbs": SWEMWBS_ALL_3})  # fmt: skip
    make_check_in(patient, worker, measures={
        "ucla3": {"companionship": 2, "left_out": 2, "isolated": 3}})  # fmt: skip
    make_follow_up(patient, kind="visit", due_at=utcnow() - timedelta(days=1), done_at=utcnow())
    make_follow_up(patient, kind="call")  # not done: not a contact yet
    return patient


def test_one_patients_record_is_a_bundle_of_valid_uk_core_resources(
    client: FlaskClient, admin: User, recorded: Patient
) -> None:
    sign_in(client, admin)
    record = client.get(f"/patients/{recorded.id}").get_data(as_text=True)
    assert f'href="/patients/{recorded.id}/fhir.json"' in record
    response = client.get(f"/patients/{recorded.id}/fhir.json")
    assert response.mimetype == "application/fhir+json"
    bundle = response.json
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    validated(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    for resource in resources:
        validated(resource)
        assert resource["meta"]["profile"] == [f"{UK_CORE}{resource['resourceType']}"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    [patient] = by_type["Patient"]
    assert patient["identifier"] == [{"system": NHS_NUMBER, "value": "9434765919"}]
    assert patient["name"][0]["family"] == "O'Brien" and patient["birthDate"]
    [referral] = by_type["ServiceRequest"]
    assert referral["code"]["coding"][0] == {
        "system": "http://snomed.info/sct", "code": "871731000000106",
        "display": "Referral to social prescribing service",
    }  # fmt: skip
    assert len(by_type["QuestionnaireResponse"]) == 2
    # ONS4's four items and SWEMWBS, then UCLA-3: one Observation per score, text-coded.
    assert len(by_type["Observation"]) == 6
    assert all("coding" not in o["code"] and o["code"]["text"] for o in by_type["Observation"])
    assert len(by_type["Encounter"]) == 3  # two check-ins with the worker, one visit done
    answers = by_type["QuestionnaireResponse"][0]["item"][0]["item"][0]["answer"]
    assert answers == [{"valueInteger": 6}]
    assert db.session.scalar(select(AuditEvent.patient_id).where(
        AuditEvent.action == "patient.export_fhir")) == recorded.id  # fmt: skip
    assert client.get(f"/patients/{recorded.id}/fhir.json").json == bundle  # stable ids


def test_the_practice_export_is_bulk_data_ndjson_one_file_per_type(
    client: FlaskClient, admin: User, recorded: Patient, patient: Patient
) -> None:
    sign_in(client, admin)
    assert "Observation records" in client.get("/admin/export").get_data(as_text=True)
    for resource_type in RESOURCE_TYPES:
        response = client.get(f"/admin/export/fhir/{resource_type}.ndjson")
        assert response.status_code == 200 and response.mimetype == "application/fhir+ndjson"
        lines = response.get_data(as_text=True).splitlines()
        assert lines, resource_type
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == resource_type
            validated(resource)
    patients = client.get("/admin/export/fhir/Patient.ndjson").get_data(as_text=True)
    assert len(patients.splitlines()) == 2  # both patients, one line each
    assert client.get("/admin/export/fhir/Practitioner.ndjson").status_code == 404
    exported = set(db.session.scalars(select(AuditEvent.patient_id).where(
        AuditEvent.action == "patient.export_fhir")))  # fmt: skip
    assert {recorded.id, patient.id} <= exported


def test_only_admins_export(
    app: Flask, worker: User, patient_user: User, recorded: Patient
) -> None:
    for who in (worker, patient_user):
        caller = app.test_client()
        sign_in(caller, who)
        assert caller.get(f"/patients/{recorded.id}/fhir.json").status_code == 404
        assert caller.get("/admin/export/fhir/Patient.ndjson").status_code == 404
        assert caller.get("/admin/export").status_code == 404


def test_the_check_ins_spreadsheet_has_a_row_per_measure_and_runs_no_formula(
    client: FlaskClient, admin: User, worker: User, recorded: Patient
) -> None:
    import csv
    import io

    hostile = make_patient(worker, given_name="=cmd|' /C calc'!A0", family_name="-1")
    make_check_in(hostile, worker, measures={
        "ucla3": {"companionship": 3, "left_out": 3, "isolated": 3}})  # fmt: skip
    sign_in(client, admin)
    response = client.get("/admin/export/check-ins.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["Check-in", "Patient"]
    assert len(rows) == 1 + 3 + 1  # Margaret: ONS4 and SWEMWBS, then UCLA-3; the hostile one
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    [bad] = [row for row in rows if "calc" in row[1]]
    assert bad[1] == "'=cmd|' /C calc'!A0 -1" and bad[8] == "9 (lonely)"
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "patient.export_check_ins"))  # fmt: skip
