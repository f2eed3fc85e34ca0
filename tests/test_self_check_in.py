"""A patient answers the wellbeing questions themself, between sessions."""

from __future__ import annotations

from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AuditEvent, CheckIn, Patient, User

from .conftest import make_user, sign_in
from .test_check_ins import UCLA3


def test_a_patient_records_their_own_check_in_and_sees_it(
    client: FlaskClient, patient_user: User, patient: Patient
) -> None:
    sign_in(client, patient_user)
    form = client.get("/my-progress/check-in").get_data(as_text=True)
    assert "How are you doing?" in form
    response = client.post("/my-progress/check-in", data={**UCLA3, "notes": "Better week"},
                           follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Thank you. Your check-in is saved" in page and "My progress" in page
    stored = db.session.scalar(db.select(CheckIn))
    assert (stored.source, stored.author_id, stored.patient_id) == (
        "self", patient_user.id, patient.id
    )  # fmt: skip
    assert stored.scores["ucla3"] == {"total": 7, "lonely": True}
    action = db.session.scalar(
        db.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
    )
    assert action == "checkin.create"


def test_an_incomplete_self_check_in_says_what_is_missing_and_saves_nothing(
    client: FlaskClient, patient_user: User, patient: Patient
) -> None:
    sign_in(client, patient_user)
    page = client.post("/my-progress/check-in", data={"ucla3__companionship": "2"})
    assert "” or clear the" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(CheckIn.id))) == 0


def test_a_patient_without_an_active_record_has_no_check_in_form(
    client: FlaskClient, patient: Patient
) -> None:
    unlinked = make_user("patient", "unlinked")
    sign_in(client, unlinked)
    assert client.get("/my-progress/check-in").status_code == 404
    assert "Do a check-in" not in client.get("/my-progress").get_data(as_text=True)
