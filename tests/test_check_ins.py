"""Recording a wellbeing check-in and seeing the scores."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AuditEvent, CheckIn, Patient, User

from .conftest import make_check_in, sign_in

ONS4 = {
    "ons4__life_satisfaction": "6",
    "ons4__worthwhile": "9",
    "ons4__happiness": "2",
    "ons4__anxiety": "3",
}
SWEMWBS = {
    f"swemwbs__{k}": v
    for k, v in {
        "optimistic": "3",
        "useful": "3",
        "relaxed": "3",
        "dealing_with_problems": "4",
        "thinking_clearly": "4",
        "close_to_others": "3",
        "own_mind": "3",
    }.items()
}
UCLA3 = {"ucla3__companionship": "3", "ucla3__left_out": "2", "ucla3__isolated": "2"}


def check_in_count() -> int:
    return db.session.scalar(db.select(db.func.count(CheckIn.id))) or 0


def test_the_form_asks_the_published_questions(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    page = client.get(f"/patients/{patient.id}/check-ins/new").get_data(as_text=True)
    assert "<h1>Record a check-in</h1>" in page
    assert "Overall, how satisfied are you with your life nowadays?" in page
    assert "I’ve been feeling optimistic about the future" in page
    assert "How often do you feel that you lack companionship?" in page
    assert "None of the time" in page and "Hardly ever" in page


def test_a_link_worker_records_all_three_measures_and_sees_the_scores(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    data = ONS4 | SWEMWBS | UCLA3 | {"needs": ["loneliness"], "notes": "Went to the lunch club"}
    response = client.post(
        f"/patients/{patient.id}/check-ins/new", data=data, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Check-in saved" in page
    assert "Life satisfaction (ONS4)" in page and "6 out of 10 – medium" in page
    assert "Happiness (ONS4)" in page and "2 out of 10 – low" in page
    assert "20.73 (metric score, 7 to 35; raw 23)" in page
    assert "7 out of 9 – lonely" in page
    assert "Went to the lunch club" in page
    check_in = db.session.scalar(db.select(CheckIn))
    assert check_in.author_id == worker.id and check_in.source == "link_worker"
    assert check_in.scores["swemwbs"] == {"raw": 23, "metric": 20.73}
    assert check_in.measures["ucla3"] == {"companionship": 3, "left_out": 2, "isolated": 2}
    assert check_in.received_at is not None and check_in.captured_at is not None
    assert db.session.scalar(
        db.select(AuditEvent.id).where(
            AuditEvent.action == "checkin.create", AuditEvent.record_id == str(check_in.id)
        )
    )


def test_one_measure_is_enough(client: FlaskClient, worker: User, patient: Patient) -> None:
    sign_in(client, worker)
    client.post(f"/patients/{patient.id}/check-ins/new", data=UCLA3)
    assert set(db.session.scalar(db.select(CheckIn.scores))) == {"ucla3"}


def test_the_patients_needs_are_ticked_to_start_with(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    page = client.get(f"/patients/{patient.id}/check-ins/new").get_data(as_text=True)
    assert 'value="loneliness" checked' in page


def test_no_measure_at_all_is_refused(client: FlaskClient, worker: User, patient: Patient) -> None:
    sign_in(client, worker)
    response = client.post(f"/patients/{patient.id}/check-ins/new", data={"notes": "Chat only"})
    page = response.get_data(as_text=True)
    assert "Answer every question of at least one measure" in page
    assert "Chat only</textarea>" in page
    assert check_in_count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {k: v for k, v in UCLA3.items() if k != "ucla3__isolated"},  # half a measure
        ONS4 | {"ons4__anxiety": ""},
        UCLA3 | {"ucla3__isolated": "4"},  # out of range
        UCLA3 | {"ucla3__isolated": "often"},  # not a number
        ONS4 | {"ons4__happiness": "11"},
        UCLA3 | {"needs": ["sleep"]},  # unknown need
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(
    client: FlaskClient, worker: User, patient: Patient, data: dict[str, Any]
) -> None:
    sign_in(client, worker)
    response = client.post(f"/patients/{patient.id}/check-ins/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert check_in_count() == 0


def test_a_half_answered_measure_points_at_the_missing_question(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    data = {k: v for k, v in UCLA3.items() if k != "ucla3__isolated"}
    page = client.post(f"/patients/{patient.id}/check-ins/new", data=data).get_data(as_text=True)
    assert 'href="#ucla3__isolated"' in page
    assert "or clear the Loneliness (UCLA 3-item scale) answers" in page
    assert "Answer “How often do you feel isolated from others?” or clear" in page  # which
    assert 'value="3" checked' in page  # the answers given are kept


def test_a_discharged_patients_record_has_no_check_in_button(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    patient.status = "discharged"
    db.session.commit()
    sign_in(client, worker)
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Record a check-in" not in page


def test_zero_is_an_answer(client: FlaskClient, worker: User, patient: Patient) -> None:
    sign_in(client, worker)
    zeros = dict.fromkeys(ONS4, "0")
    client.post(f"/patients/{patient.id}/check-ins/new", data=zeros)
    scores = db.session.scalar(db.select(CheckIn.scores))
    assert scores["ons4"]["anxiety"] == {"value": 0, "band": "very_low"}
    assert scores["ons4"]["happiness"] == {"value": 0, "band": "low"}


def test_spaces_are_no_answer(client: FlaskClient, worker: User, patient: Patient) -> None:
    sign_in(client, worker)
    data = UCLA3 | {"ucla3__isolated": " "}
    page = client.post(f"/patients/{patient.id}/check-ins/new", data=data).get_data(as_text=True)
    assert 'href="#ucla3__isolated"' in page
    assert check_in_count() == 0


def test_the_same_form_posted_twice_saves_one_check_in(
    client: FlaskClient, worker: User, patient: Patient, other_worker: User
) -> None:
    sign_in(client, worker)
    form = client.get(f"/patients/{patient.id}/check-ins/new").get_data(as_text=True)
    shown_id = re.search(r'name="record_id" type="hidden" value="([0-9a-f-]{36})"', form)
    assert shown_id, "the form carries the id it was shown with"
    data = {**UCLA3, "record_id": shown_id.group(1)}
    first = client.post(f"/patients/{patient.id}/check-ins/new", data=data, follow_redirects=True)
    again = client.post(f"/patients/{patient.id}/check-ins/new", data=data, follow_redirects=True)
    assert "This check-in was already saved" in again.get_data(as_text=True)
    assert first.request.path == again.request.path
    assert check_in_count() == 1
    assert str(db.session.scalar(db.select(CheckIn.id))) == shown_id.group(1)


def test_a_form_posted_with_another_patients_check_in_id_cannot_touch_it(
    client: FlaskClient, worker: User, patient: Patient, others_patient: Patient, other_worker: User
) -> None:
    theirs = make_check_in(others_patient, other_worker)
    sign_in(client, worker)
    data = {**UCLA3, "record_id": str(theirs.id)}
    client.post(f"/patients/{patient.id}/check-ins/new", data=data)
    assert check_in_count() == 2  # a new check-in of its own; theirs untouched
    assert db.session.get(CheckIn, theirs.id).patient_id == others_patient.id
