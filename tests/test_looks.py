"""Check-ins to look at: a patient's own low check-in waits on the caseload until marked seen."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import AuditEvent, CheckIn, CheckInLook, Patient, User

from .conftest import make_check_in, sign_in
from .test_help import self_check_in


def low_then_fine(client: FlaskClient, patient_user: User) -> CheckIn:
    sign_in(client, patient_user)
    self_check_in(client, life_satisfaction=0, happiness=0)
    low = db.session.scalars(select(CheckIn).order_by(CheckIn.received_at)).first()
    self_check_in(client)  # a better one after it must not hide the low one
    client.post("/sign-out")
    assert low is not None
    return low


def test_a_low_self_check_in_waits_on_the_caseload_until_someone_marks_it_seen(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient
) -> None:
    low = low_then_fine(client, patient_user)
    sign_in(client, worker)
    caseload = client.get("/caseload").get_data(as_text=True)
    assert 'id="to-look-at"' in caseload and "Check-in to look at" in caseload
    assert "low life satisfaction, low happiness" in caseload
    assert caseload.count(">Mark as seen<") == 1  # the low one, not the one after it
    shown = client.get(f"/patients/{patient.id}/check-ins/{low.id}").get_data(as_text=True)
    assert "crossed a help threshold" in shown and "Mark as seen" in shown
    done = client.post(f"/patients/{patient.id}/check-ins/{low.id}/seen", follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "marked as seen" in page and 'id="to-look-at"' not in page
    assert "Check-in to look at" not in page
    shown = client.get(f"/patients/{patient.id}/check-ins/{low.id}").get_data(as_text=True)
    assert f"Marked as seen by {worker.display_name}" in shown
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "checkin.seen"))
    again = client.post(f"/patients/{patient.id}/check-ins/{low.id}/seen")
    assert again.status_code == 302  # the second look is harmless
    assert db.session.scalar(select(db.func.count()).select_from(CheckInLook)) == 1


def test_only_staff_who_may_read_the_patient_see_or_mark_it(
    app: Flask, client: FlaskClient, worker: User, other_worker: User, admin: User,
    patient_user: User, patient: Patient,
) -> None:  # fmt: skip
    low = low_then_fine(client, patient_user)
    other = app.test_client()
    sign_in(other, other_worker)
    assert 'id="to-look-at"' not in other.get("/caseload").get_data(as_text=True)
    assert other.post(f"/patients/{patient.id}/check-ins/{low.id}/seen").status_code == 404
    own = app.test_client()
    sign_in(own, patient_user)
    assert own.post(f"/patients/{patient.id}/check-ins/{low.id}/seen").status_code == 403
    boss = app.test_client()
    sign_in(boss, admin)
    assert 'id="to-look-at"' in boss.get("/caseload").get_data(as_text=True)
    assert db.session.scalar(select(CheckInLook)) is None


def test_a_low_check_in_the_link_worker_recorded_is_not_listed(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    recorded = make_check_in(patient, worker, measures={
        "ucla3": {"companionship": 3, "left_out": 3, "isolated": 3}})  # fmt: skip
    sign_in(client, worker)
    assert 'id="to-look-at"' not in client.get("/caseload").get_data(as_text=True)
    marked = client.post(f"/patients/{patient.id}/check-ins/{recorded.id}/seen")
    assert marked.status_code == 404  # only a patient's own check-in waits to be seen
