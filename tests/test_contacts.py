"""Quick contacts: logged from the page and from a phone, once, by the same rule, and shown with
everything else on the patient's timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from pwa.casework import rules
from pwa.extensions import db
from pwa.fhir_export import bundle
from pwa.models import AuditEvent, Contact, Patient, SyncReview, User
from pwa.timeline import timeline

from .conftest import (
    make_asset,
    make_check_in,
    make_contact,
    make_follow_up,
    make_patient,
    make_referral,
    sign_in,
)
from .test_api_sync import enrol, sync

LONDON = ZoneInfo("Europe/London")


def contact_change(patient: Patient, record_id: str | None = None, **data: Any) -> dict[str, Any]:
    return {
        "id": record_id or str(uuid.uuid4()),
        "type": "contact",
        "base_version": None,
        "data": {"patient_id": str(patient.id), "kind": "no_answer",
                 "happened_at": "2026-11-20T10:30:00+00:00", "note": "Tried twice"} | data,
    }  # fmt: skip


def count() -> int:
    return db.session.scalar(db.select(db.func.count(Contact.id))) or 0


# --- the rule for "when", which the phone's form follows too (offline-forms.mjs) -------------

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # 3pm in London (GMT)


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (None, None, NOW),
        (None, time(9, 15), datetime(2026, 11, 28, 9, 15, tzinfo=LONDON)),
        (date(2026, 11, 28), None, NOW),  # today, no time: just now
        (date(2026, 11, 20), None, datetime(2026, 11, 20, 12, 0, tzinfo=LONDON)),
        (date(2026, 7, 1), time(18, 30), datetime(2026, 7, 1, 18, 30, tzinfo=LONDON)),  # BST
    ],
)
def test_when_a_contact_happened(day: date | None, at: time | None, expected: datetime) -> None:
    assert rules.contact_moment(day, at, LONDON, NOW) == expected


def test_a_contact_still_to_come_is_refused() -> None:
    with pytest.raises(rules.Invalid, match="later than now"):
        rules.contact_moment(None, time(16, 0), LONDON, NOW)


# --- the page ---------------------------------------------------------------------------------


def test_a_link_worker_logs_a_call_nobody_answered_in_one_post(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    form = client.get(f"/patients/{patient.id}/contacts/new").get_data(as_text=True)
    assert "What happened?" in form and "Save and record a check-in" in form
    record_id = str(uuid.uuid4())
    posted = {"record_id": record_id, "kind": "no_answer", "note": "Rang at 10, no answer"}
    response = client.post(f"/patients/{patient.id}/contacts/new", data=posted,
                           follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert "No answer logged" in page
    assert "<strong>No answer</strong> – Rang at 10, no answer" in page  # on the timeline
    # The same form again (a double tap, or a lost answer): still one.
    client.post(f"/patients/{patient.id}/contacts/new", data=posted)
    contact = db.session.scalar(db.select(Contact))
    assert count() == 1 and str(contact.id) == record_id
    assert (contact.author_id, contact.kind) == (worker.id, "no_answer")
    assert datetime.now(UTC) - contact.happened_at < timedelta(minutes=1)
    audited = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "contact.create")
    ).all()
    assert [(a.record_id, a.patient_id) for a in audited] == [(str(contact.id), patient.id)]


def test_save_and_record_a_check_in_goes_on_to_the_measures(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    yesterday = date.today() - timedelta(days=1)
    response = client.post(f"/patients/{patient.id}/contacts/new", data={
        "kind": "visit", "happened_date-day": str(yesterday.day),
        "happened_date-month": str(yesterday.month), "happened_date-year": str(yesterday.year),
        "happened_time": "14:05", "then": "check_in"})  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{patient.id}/check-ins/new"
    contact = db.session.scalar(db.select(Contact))
    assert contact.happened_at == datetime.combine(yesterday, time(14, 5), LONDON)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({}, "Select what happened"),
        ({"kind": "telepathy"}, "Not a valid choice"),
        ({"kind": "visit", "happened_date-day": "31", "happened_date-month": "2",
          "happened_date-year": "2026"}, "must be a real date"),
        ({"kind": "visit", "happened_date-day": "1", "happened_date-month": "1",
          "happened_date-year": "2999"}, "Date must be today or in the past"),
        ({"kind": "visit", "happened_date-day": "1", "happened_date-month": "1",
          "happened_date-year": "1999"}, "Date must be after 1 January 2000"),
        ({"kind": "visit", "happened_time": "23:59"}, "later than now"),
        ({"kind": "visit", "note": "x" * 2001}, "2000"),
    ],
)  # fmt: skip
def test_a_bad_contact_is_named_and_nothing_is_saved(
    posted: dict[str, str], message: str, client: FlaskClient, worker: User, patient: Patient
) -> None:
    if posted.get("happened_time") == "23:59" and datetime.now(LONDON).time() > time(23, 58):
        pytest.skip("it is 23:59 now: the time is not later than now")
    sign_in(client, worker)
    response = client.post(f"/patients/{patient.id}/contacts/new", data=posted)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert count() == 0


def test_no_contact_for_a_discharged_patient(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    patient.status = "discharged"
    db.session.commit()
    sign_in(client, worker)
    client.post(f"/patients/{patient.id}/contacts/new", data={"kind": "phone"})
    assert count() == 0


# --- sync -------------------------------------------------------------------------------------


def test_a_contact_from_a_phone_is_stored_once_and_comes_back(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    token = enrol(client, worker)
    sent = contact_change(patient, happened_at="2026-11-20T10:30:00+00:00")
    body = sync(client, token, [sent])
    assert body["results"][0]["status"] == "applied"
    entry = next(e for e in body["changes"] if e["id"] == sent["id"])
    assert entry["type"] == "contact"
    assert entry["data"] == {"patient_id": str(patient.id), "kind": "no_answer",
                             "happened_at": "2026-11-20T10:30:00+00:00",
                             "note": "Tried twice"}  # fmt: skip
    # The reply was lost: the phone sends it again, and hears it is there.
    again = sync(client, token, [sent], cursor=body["cursor"])
    assert again["results"][0]["status"] == "duplicate"
    assert count() == 1
    # Immutable: the same id with other words is a conflict, never an edit.
    changed = contact_change(patient, sent["id"], note="Changed")
    result = sync(client, token, [changed], cursor=body["cursor"])["results"][0]
    assert (result["status"], result["code"]) == ("conflict", "content_differs")
    assert db.session.scalar(db.select(Contact.note)) == "Tried twice"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "seance"}, "data.kind"),
        ({"kind": None}, "data.kind"),
        ({"happened_at": "2099-01-01T00:00:00Z"}, "data.happened_at"),
        ({"happened_at": "2026-11-20T10:30:00"}, "data.happened_at"),
        ({"note": "x" * 2001}, "data.note"),
        ({"note": "bad \x00 byte"}, "data.note"),
    ],
)
def test_a_bad_contact_from_a_phone_is_rejected_with_its_field(
    data: dict[str, Any], field: str, client: FlaskClient, worker: User, patient: Patient
) -> None:
    token = enrol(client, worker)
    result = sync(client, token, [contact_change(patient, **data)])["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "validation_failed")
    assert field.removeprefix("data.") in result["errors"] or field in result["errors"]
    assert count() == 0


def test_a_patient_cannot_log_contacts_and_never_sees_them(
    client: FlaskClient, worker: User, patient: Patient, patient_user: User
) -> None:
    make_contact(patient, worker, note="Spoke to the neighbour")
    token = enrol(client, patient_user)
    body = sync(client, token, [contact_change(patient)])
    assert (body["results"][0]["status"], body["results"][0]["code"]) == ("rejected", "forbidden")
    assert all(e["type"] != "contact" for e in body["changes"])
    assert "neighbour" not in str(body)
    assert count() == 1


def test_a_patient_leaving_the_caseload_takes_their_contacts_off_the_phone(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient
) -> None:
    contact = make_contact(patient, worker)
    token = enrol(client, worker)
    cursor = sync(client, token)["cursor"]
    patient.link_worker_id = other_worker.id
    db.session.commit()
    gone = sync(client, token, cursor=cursor)["changes"]
    assert {"id": str(contact.id), "type": "contact", "deleted": True} in gone


# --- the timeline and the GP record -----------------------------------------------------------


def test_the_timeline_is_everything_newest_first(worker: User, patient: Patient) -> None:
    now = datetime.now(UTC)
    asset = make_asset(name="Knit and Natter")
    referral = make_referral(patient, asset, worker)
    referral.created_at, referral.note = now - timedelta(days=5), "Tuesdays"
    check_in = make_check_in(patient, worker)
    check_in.captured_at = now - timedelta(days=4)
    done = make_follow_up(patient, kind="call", due_at=now - timedelta(days=3),
                          done_at=now - timedelta(days=3), outcome="left_message")  # fmt: skip
    late = make_follow_up(patient, kind="visit", due_at=now - timedelta(hours=2), note="Key safe")
    coming = make_follow_up(patient, kind="visit", due_at=now + timedelta(days=7))
    contact = make_contact(patient, worker, kind="group_session", note="Lunch club",
                           happened_at=now - timedelta(days=1))  # fmt: skip
    db.session.commit()
    lines = timeline([contact], [(check_in, "/c")], [done, late, coming], [referral], now)
    assert [(line.what, line.detail, line.tag) for line in lines] == [
        ("Visit booked", "", ""),
        ("Visit booked", "Key safe", "Overdue"),
        ("Group session", "Lunch club", ""),
        ("Phone call done", "Left a message", ""),
        ("Check-in", "SWEMWBS 19.25", ""),
        ("Referral: Knit and Natter", "Tuesdays", "Referred"),
    ]
    assert lines[4].href == "/c"


def test_the_record_page_shows_the_timeline_and_a_log_button(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    make_contact(patient, worker, kind="phone", note="Rang about the food bank")
    sign_in(client, worker)
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "What has happened" in page and "Log a contact" in page
    assert "<strong>Phone call</strong> – Rang about the food bank" in page


def test_contacts_that_reached_the_patient_go_to_the_gp_as_encounters(
    worker: User, patient: Patient
) -> None:
    make_contact(patient, worker, kind="group_session")
    make_contact(patient, worker, kind="no_answer")
    encounters = [e["resource"] for e in bundle(patient)["entry"]
                  if e["resource"]["resourceType"] == "Encounter"]  # fmt: skip
    assert [(e["class"]["code"], e["type"][0]["text"]) for e in encounters] == [
        ("FLD", "Group session")
    ]


def test_another_workers_patient_gets_no_contact_from_the_page(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    theirs = make_patient(other_worker)
    sign_in(client, worker)
    response = client.post(f"/patients/{theirs.id}/contacts/new", data={"kind": "phone"})
    assert response.status_code == 404
    assert count() == 0


# --- what a hostile caller tried (a review, in its own clone) ---------------------------------


def test_a_patient_hears_nothing_of_a_staff_contact_on_their_record(
    client: FlaskClient, worker: User, patient: Patient, patient_user: User
) -> None:
    existing = make_contact(patient, worker, note="Staff only words")
    token = enrol(client, patient_user)
    guess = contact_change(patient, str(existing.id), note="anything") | {"base_version": 1}
    body = sync(client, token, [guess])
    result = body["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert all(entry["id"] != str(existing.id) for entry in body["changes"])
    assert db.session.scalar(db.select(db.func.count(SyncReview.id))) == 0


def test_one_id_names_one_record_of_one_type(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    """A phone keeps records by id alone: a contact with its patient's id, or a follow-up with
    a check-in's, would overwrite the other on every phone that holds them."""
    check_in = make_check_in(patient, worker)
    token = enrol(client, worker)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    follow_up = {
        "id": str(check_in.id),
        "type": "followup",
        "base_version": None,
        "data": {"patient_id": str(patient.id), "kind": "call", "due_at": tomorrow},
    }
    body = sync(client, token, [contact_change(patient, str(patient.id)), follow_up,
                                contact_change(patient, str(check_in.id))])  # fmt: skip
    assert [(r["status"], r.get("code")) for r in body["results"]] == [
        ("rejected", "invalid_id")
    ] * 3
    assert count() == 0
    # The page's form makes a new id rather than take another record's.
    sign_in(client, worker)
    client.post(f"/patients/{patient.id}/contacts/new",
                data={"record_id": str(patient.id), "kind": "phone"})  # fmt: skip
    assert count() == 1 and db.session.get(Contact, patient.id) is None


def test_gp_export_ids_are_unique_across_record_types(worker: User, patient: Patient) -> None:
    done = make_follow_up(patient, kind="visit", done_at=datetime.now(UTC) - timedelta(hours=1))
    make_contact(patient, worker, kind="visit", id=done.id)  # as an older server may hold
    ids = [entry["resource"]["id"] for entry in bundle(patient)["entry"]]
    assert len(ids) == len(set(ids))


def test_the_forms_today_is_the_practices(
    client: FlaskClient, worker: User, patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 00:30 in London in summer the server's clock (UTC) still says yesterday."""
    import pwa.practice
    import pwa.views.contacts

    late = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 2 July, 00:30 BST

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return late.astimezone(tz) if tz else late.replace(tzinfo=None)

    monkeypatch.setattr(pwa.practice, "datetime", Clock)
    monkeypatch.setattr(pwa.views.contacts, "utcnow", lambda: late)
    sign_in(client, worker)
    response = client.post(f"/patients/{patient.id}/contacts/new", data={
        "kind": "visit", "happened_date-day": "2", "happened_date-month": "7",
        "happened_date-year": "2026"})  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(db.select(Contact.happened_at)) == late


def test_a_resend_of_a_record_an_older_server_let_share_an_id_is_a_duplicate(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    """Found by a review: the own table is asked first, so what is stored stays `duplicate`."""
    follow_up = make_follow_up(patient, kind="call")
    change = contact_change(patient, str(follow_up.id))
    data = change["data"]
    make_contact(patient, worker, id=follow_up.id, kind=data["kind"], note=data["note"],
                 happened_at=datetime.fromisoformat(data["happened_at"]))  # fmt: skip
    token = enrol(client, worker)
    assert sync(client, token, [change])["results"][0]["status"] == "duplicate"
