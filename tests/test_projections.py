"""What each audience receives of each record type: exact fields, and nothing staff-only on a
patient's phone."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AuditEvent, Patient, User
from pwa.projections import (
    PROJECTIONS,
    asset_for_everyone,
    check_in_for_patient,
    check_in_for_staff,
    contact_for_staff,
    follow_up_for_patient,
    follow_up_for_staff,
    patient_for_patient,
    patient_for_staff,
    referral_for_patient,
    referral_for_staff,
)

from .conftest import make_asset, make_check_in, make_contact, make_follow_up, make_referral
from .test_api_sync import check_in_change, enrol, sync

STAFF_NOTE = "STAFF-ONLY-4b1e"


@pytest.fixture
def records(worker: User, patient: Patient) -> dict[str, object]:
    patient.referral_reason = f"Low mood after bereavement {STAFF_NOTE}"
    asset = make_asset()
    check_in = make_check_in(patient, worker)
    check_in.notes = f"Spoke about her son {STAFF_NOTE}"
    follow_up = make_follow_up(patient, note=f"Key safe 1234 {STAFF_NOTE}")
    referral = make_referral(patient, asset, worker)
    referral.note = f"Told the group leader about her mood {STAFF_NOTE}"
    contact = make_contact(patient, worker, note=f"Her neighbour answered {STAFF_NOTE}")
    db.session.commit()
    return {"patient": patient, "checkin": check_in, "followup": follow_up,
            "referral": referral, "asset": asset, "contact": contact}  # fmt: skip


def test_staff_receive_each_record_as_the_contract_names_it(records: dict[str, object]) -> None:
    assert set(patient_for_staff(records["patient"])) == {  # type: ignore[arg-type]
        "given_name", "family_name", "date_of_birth", "nhs_number", "phone", "postcode",
        "link_worker_id", "status", "discharge_reason", "needs", "referral_reason",
        "consent_to_contact"}  # fmt: skip
    assert set(check_in_for_staff(records["checkin"])) == {  # type: ignore[arg-type]
        "patient_id", "captured_at", "source", "measures", "scores", "needs", "notes",
        "amends", "seen"}  # fmt: skip
    assert set(follow_up_for_staff(records["followup"])) == {  # type: ignore[arg-type]
        "patient_id", "due_at", "kind", "note", "assigned_to", "done_at", "outcome"}  # fmt: skip
    assert set(referral_for_staff(records["referral"])) == {  # type: ignore[arg-type]
        "patient_id", "asset_id", "status", "note", "created_at"}  # fmt: skip
    assert set(contact_for_staff(records["contact"])) == {  # type: ignore[arg-type]
        "patient_id", "kind", "happened_at", "note"}  # fmt: skip
    assert set(asset_for_everyone(records["asset"])) == {  # type: ignore[arg-type]
        "name", "category", "description", "contact", "address", "postcode", "opening_times",
        "url", "active", "checked_at"}  # fmt: skip


def test_a_patient_receives_only_what_their_own_pages_show(
    records: dict[str, object], worker: User
) -> None:
    assert patient_for_patient(records["patient"]) == {  # type: ignore[arg-type]
        "given_name": "Patricia", "family_name": "Walsh", "status": "active",
        "link_worker_name": worker.display_name}  # fmt: skip
    assert set(check_in_for_patient(records["checkin"])) == {  # type: ignore[arg-type]
        "patient_id", "captured_at", "source", "scores", "amends"}  # fmt: skip
    assert set(follow_up_for_patient(records["followup"]) or {}) == {  # type: ignore[arg-type]
        "patient_id", "due_at", "kind"}  # fmt: skip
    assert set(referral_for_patient(records["referral"])) == {  # type: ignore[arg-type]
        "patient_id", "asset_id", "status"}  # fmt: skip


def test_a_patient_gets_back_what_they_typed_in_their_own_check_in(
    records: dict[str, object], patient_user: User
) -> None:
    own = make_check_in(records["patient"], patient_user)  # type: ignore[arg-type]
    own.source, own.notes, own.needs = "self", "A good week", ["food"]
    db.session.commit()
    shown = check_in_for_patient(own)
    assert set(shown) == {"patient_id", "captured_at", "source", "scores", "amends", "measures",
                          "needs", "notes"}  # fmt: skip
    assert (shown["notes"], shown["needs"]) == ("A good week", ["food"])


def test_every_type_has_a_projection_for_every_audience() -> None:
    kinds = {kind for kind, _ in PROJECTIONS}
    assert set(PROJECTIONS) == {(k, a) for k in kinds for a in ("staff", "patient")}


def test_a_patients_phone_never_receives_staff_notes_or_the_wider_directory(
    client: FlaskClient, records: dict[str, object], patient_user: User, worker: User
) -> None:
    unrelated = make_asset(name="Chess club")
    token = enrol(client, patient_user)
    mine = check_in_change(records["patient"], notes="Felt better")  # type: ignore[arg-type]
    body = sync(client, token, [mine])
    assert body["results"][0]["status"] == "applied"
    text = json.dumps(body)
    assert STAFF_NOTE not in text
    by_type: dict[str, set[str]] = {}
    for entry in body["changes"]:
        by_type.setdefault(entry["type"], set()).add(entry["id"])
    assert by_type["asset"] == {str(records["asset"].id)}  # type: ignore[attr-defined]
    assert "contact" not in by_type  # staff's log of contacts never reaches a patient's phone
    assert str(unrelated.id) not in text
    own = next(e for e in body["changes"] if e["id"] == mine["id"])
    assert own["data"]["notes"] == "Felt better"
    reads = AuditEvent.action == "patient.sync_read"  # their own record: not a staff read
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(reads)) == 0
    # A conflict reply is projected the same way.
    other = mine | {"data": mine["data"] | {"notes": "Changed my mind"}}
    staff_written = {"id": str(records["checkin"].id), "type": "checkin",  # type: ignore[attr-defined]
                     "base_version": None, "data": mine["data"]}  # fmt: skip
    body = sync(client, token, [other, staff_written], cursor=body["cursor"])
    assert [r["status"] for r in body["results"]] == ["conflict", "conflict"]
    assert STAFF_NOTE not in json.dumps(body)


def test_a_new_referral_brings_its_group_to_the_patients_phone(
    client: FlaskClient, records: dict[str, object], patient_user: User, worker: User
) -> None:
    token = enrol(client, patient_user)
    cursor = sync(client, token)["cursor"]
    older = make_asset(name="Walking group")  # in the directory before the referral
    make_referral(records["patient"], older, worker)  # type: ignore[arg-type]
    ids = {e["id"] for e in sync(client, token, cursor=cursor)["changes"]}
    assert str(older.id) in ids


def test_a_contact_that_has_happened_is_taken_off_the_patients_phone(
    client: FlaskClient, records: dict[str, object], patient_user: User
) -> None:
    from pwa.models import FollowUp, utcnow

    token = enrol(client, patient_user)
    follow_up = records["followup"]
    assert isinstance(follow_up, FollowUp)
    first = sync(client, token)
    assert str(follow_up.id) in {e["id"] for e in first["changes"]}
    follow_up.done_at = utcnow()
    db.session.commit()
    later = sync(client, token, cursor=first["cursor"])["changes"]
    assert later == [{"id": str(follow_up.id), "type": "followup", "deleted": True}]
    assert follow_up_for_patient(follow_up) is None
