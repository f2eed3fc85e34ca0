"""The audit trail for admins: who looked at whose record, filtered, paged, exported safely."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.audit_trail import PAGE_SIZE, safe_cell
from pwa.extensions import db
from pwa.models import AuditEvent, Patient, User, utcnow

from .conftest import make_patient, sign_in


def test_a_patients_trail_is_one_click_from_their_record_and_names_who_looked(
    client: FlaskClient, admin: User, worker: User, patient: Patient, others_patient: Patient
) -> None:
    sign_in(client, worker)
    client.get(f"/patients/{patient.id}")
    client.post("/sign-out")
    sign_in(client, admin)
    record = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f'href="/admin/audit?patient={patient.id}"' in record
    trail = client.get(f"/admin/audit?patient={patient.id}").get_data(as_text=True)
    assert f"Who has seen {patient.full_name}" in trail
    assert f"{worker.display_name} – Read a patient&#39;s record" in trail
    assert others_patient.full_name not in trail
    assert (
        db.session.scalar(select(AuditEvent.patient_id).where(AuditEvent.action == "audit.view"))
        == patient.id
    )  # reading the trail is a read too


def test_filters_by_person_action_and_day_and_pages_newest_first(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    now = utcnow()
    db.session.add_all(
        AuditEvent(action="patient.view", user_id=worker.id, patient_id=patient.id,
                   record_type="patients", record_id=str(patient.id), at=now - timedelta(minutes=i))
        for i in range(PAGE_SIZE + 5)
    )  # fmt: skip
    db.session.add(AuditEvent(action="patient.view", user_id=admin.id, patient_id=patient.id,
                              at=now - timedelta(days=30)))  # fmt: skip
    db.session.commit()
    sign_in(client, admin)
    first = client.get(f"/admin/audit?person={worker.id}&action=patient.view").get_data(
        as_text=True
    )
    assert first.count(f"{worker.display_name} – Read") == PAGE_SIZE and "Older" in first
    second = client.get(f"/admin/audit?person={worker.id}&action=patient.view&page=2")
    assert second.get_data(as_text=True).count(f"{worker.display_name} – Read") == 5
    day = (now - timedelta(days=30)).date().isoformat()
    old = client.get(f"/admin/audit?action=patient.view&from={day}&to={day}").get_data(as_text=True)
    assert f"{admin.display_name} – Read" in old and f"{worker.display_name} – Read" not in old


def test_bad_filters_say_what_is_wrong_and_never_fail(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    for query in ("patient=nope", "person=%00", "from=28/11/2026", "from=2026-12-01&to=2026-11-01",
                  "page=-3", "page=abc", "action=" + "x" * 500):  # fmt: skip
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code in (200, 400), query  # a NUL is refused by input limits
    page = client.get("/admin/audit?from=28/11/2026").get_data(as_text=True)
    assert "Enter a date like 2026-11-28" in page


def test_the_csv_export_neutralises_formulas(
    client: FlaskClient, admin: User, worker: User
) -> None:
    hostile = make_patient(worker, given_name='=HYPERLINK("http://x")', family_name="+1")
    db.session.add(AuditEvent(
        action="patient.view", user_id=worker.id, patient_id=hostile.id,
        record_type="@SUM(A1)", record_id="-2+3", ip_address="\t=1",
    ))  # fmt: skip
    db.session.commit()
    sign_in(client, admin)
    response = client.get(f"/admin/audit.csv?patient={hostile.id}")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "When (UTC)"
    [row] = [r for r in rows[1:] if r[3] == "patient.view"]
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert row[4] == '\'=HYPERLINK("http://x") +1' and row[6] == "'@SUM(A1)"
    assert row[7] == "'-2+3" and row[9] == "'\t=1"
    assert safe_cell("plain") == "plain" and safe_cell(None) == ""
    # A plain number stays a number a spreadsheet can add up; anything more is text.
    assert [safe_cell(v) for v in (-2.37, "+4", "-4", 0)] == ["-2.37", "+4", "-4", "0"]
    assert [safe_cell(v) for v in ("-4 ", "-1e9", "-2-3", "+1\n=1", " =1+2", "\n@x")] == [
        "'-4 ", "'-1e9", "'-2-3", "'+1\n=1", "' =1+2", "'\n@x"]  # fmt: skip
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "audit.export"))


def test_only_admins_read_the_trail(app: Flask, worker: User, patient_user: User) -> None:
    for who in (worker, patient_user):
        caller = app.test_client()
        sign_in(caller, who)
        assert caller.get("/admin/audit").status_code == 404
        assert caller.get("/admin/audit.csv").status_code == 404
