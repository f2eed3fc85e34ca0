"""Booking follow-ups and marking them done."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import FollowUp, Patient, User

from .conftest import make_follow_up, sign_in


def booking(day: date, **extra: str) -> dict[str, str]:
    return {
        "kind": "visit",
        "due_date-day": str(day.day),
        "due_date-month": str(day.month),
        "due_date-year": str(day.year),
        "due_time": "14:30",
        **extra,
    }


def test_a_link_worker_books_a_visit(client: FlaskClient, worker: User, patient: Patient) -> None:
    sign_in(client, worker)
    day = date.today() + timedelta(days=7)
    response = client.post(
        f"/patients/{patient.id}/follow-ups/new",
        data=booking(day, note="Bring leaflet"),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Visit booked" in page
    assert f"{day.day} {day:%B %Y} at 2:30pm" in page
    follow_up = db.session.scalar(db.select(FollowUp))
    assert follow_up.assigned_to_id == worker.id
    assert follow_up.note == "Bring leaflet"
    # 14:30 in the practice's time zone (Europe/London), stored as UTC
    assert follow_up.due_at.tzinfo is not None
    assert follow_up.due_at.astimezone().utcoffset() is not None


def test_a_follow_up_booked_by_an_admin_belongs_to_the_patients_worker(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    sign_in(client, admin)
    client.post(f"/patients/{patient.id}/follow-ups/new", data=booking(date.today()))
    assert db.session.scalar(db.select(FollowUp.assigned_to_id)) == worker.id


def test_a_date_in_the_past_is_refused(client: FlaskClient, worker: User, patient: Patient) -> None:
    sign_in(client, worker)
    response = client.post(
        f"/patients/{patient.id}/follow-ups/new", data=booking(date.today() - timedelta(days=1))
    )
    assert "Date must be today or in the future" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(FollowUp.id))) == 0


def test_a_missing_kind_and_bad_time_are_refused(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    data = booking(date.today(), kind="", due_time="25:99")
    page = client.post(f"/patients/{patient.id}/follow-ups/new", data=data).get_data(as_text=True)
    assert "Select what kind of follow-up it is" in page
    assert 'href="#due_time"' in page
    assert db.session.scalar(db.select(db.func.count(FollowUp.id))) == 0


def test_marking_a_follow_up_done(client: FlaskClient, worker: User, patient: Patient) -> None:
    follow_up = make_follow_up(patient, due_at=datetime.now(UTC) - timedelta(days=1))
    sign_in(client, worker)
    assert "Overdue" in client.get(f"/patients/{patient.id}").get_data(as_text=True)
    response = client.post(f"/follow-ups/{follow_up.id}/done", follow_redirects=True)
    assert "Phone call marked as done" in response.get_data(as_text=True)
    db.session.expire_all()
    assert follow_up.done_at is not None and follow_up.version == 2
    done_at = follow_up.done_at
    client.post(f"/follow-ups/{follow_up.id}/done")  # a second tap changes nothing
    db.session.expire_all()
    assert follow_up.done_at == done_at and follow_up.version == 2


def test_the_caseload_shows_the_next_follow_up(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    make_follow_up(patient, kind="visit", due_at=datetime(2099, 3, 4, 10, tzinfo=UTC))
    make_follow_up(patient, kind="call", due_at=datetime(2099, 1, 2, 10, tzinfo=UTC))
    sign_in(client, worker)
    page = client.get("/caseload").get_data(as_text=True)
    assert "Next: Phone call 2 January 2099 at 10:00am" in " ".join(page.split())


def test_an_unknown_follow_up_is_not_found(client: FlaskClient, worker: User) -> None:
    sign_in(client, worker)
    assert client.post("/follow-ups/00000000-0000-4000-8000-000000000000/done").status_code == 404


def test_marking_done_says_how_it_went_if_the_worker_says(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    called, visited = make_follow_up(patient), make_follow_up(patient, kind="visit")
    sign_in(client, worker)
    record = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "How did it go? (optional)" in record and "No answer" in record
    done = client.post(f"/follow-ups/{called.id}/done", data={"outcome": "no_answer"},
                       follow_redirects=True)  # fmt: skip
    assert "Phone call marked as done: no answer" in done.get_data(as_text=True)
    assert "Done</strong> No answer" in done.get_data(as_text=True)
    assert (
        client.post(f"/follow-ups/{visited.id}/done", data={"outcome": "bored"}).status_code == 400
    )
    client.post(f"/follow-ups/{visited.id}/done")
    db.session.expire_all()
    assert (called.outcome, visited.outcome) == ("no_answer", None)
    assert visited.done_at is not None


def test_a_phone_sends_an_outcome_and_an_older_phone_keeps_it(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    from .test_api_sync import enrol, sync

    follow_up = make_follow_up(patient)
    token = enrol(client, worker)
    data = {"patient_id": str(patient.id), "due_at": follow_up.due_at.isoformat(),
            "kind": "call", "note": "", "done_at": datetime.now(UTC).isoformat()}  # fmt: skip
    change = {"id": str(follow_up.id), "type": "followup", "base_version": 1,
              "data": data | {"outcome": "spoke"}}  # fmt: skip
    assert sync(client, token, [change])["results"][0]["status"] == "applied"
    older = {"id": str(follow_up.id), "type": "followup", "base_version": 2,
             "data": data | {"note": "Rang back"}}  # fmt: skip
    assert sync(client, token, [older])["results"][0]["status"] == "applied"
    junk = {**older, "base_version": 3, "data": data | {"outcome": "<b>"}}
    assert sync(client, token, [junk])["results"][0]["status"] == "rejected"
    db.session.expire_all()
    assert (follow_up.outcome, follow_up.note) == ("spoke", "Rang back")
