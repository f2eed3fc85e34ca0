"""A contact logged in seconds on the phone with no signal, sent once; and the patient's timeline,
which reads the same offline as online."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pwa.extensions import db
from pwa.models import Contact, Patient, utcnow

from .conftest import make_asset, make_check_in, make_contact, make_follow_up, make_referral
from .test_browser import (
    accessibility_violations,
    no_sideways_scroll,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import OUTBOX_SIZE, eventually, sign_in_and_sync


def margaret() -> Patient:
    found = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    assert found is not None
    return found


def contacts_of(patient_id: Any) -> list[tuple[str, str]]:
    """What the server holds, read in a transaction that ends at once (on SQLite even a read
    holds the lock, and the live server must write)."""
    db.session.expire_all()
    query = db.select(Contact).where(Contact.patient_id == patient_id)
    found = [(c.kind, c.note) for c in db.session.scalars(query.order_by(Contact.happened_at))]
    db.session.commit()
    return found


def test_offline_a_call_nobody_answered_is_logged_and_reaches_the_server_once(
    live_server: str, page: Any, context: Any
) -> None:
    patient_id = margaret().id
    db.session.commit()
    before = contacts_of(patient_id)
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    page.goto(f"{live_server}/patients/{patient_id}")
    page.get_by_role("link", name="Log a contact").click()
    page.get_by_role("heading", name="Log a contact").wait_for()
    page.get_by_role("button", name="Save contact").click()  # nothing chosen: named, not saved
    page.get_by_text("Select what happened").first.wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 0
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    page.get_by_label("No answer").check()
    page.get_by_label("Note (optional)").fill("Rang twice, will try Thursday")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("Contact logged on this phone").wait_for()
    line = page.locator(".app-timeline__line", has_text="Rang twice")
    assert "No answer – Rang twice, will try Thursday" in line.inner_text()
    assert "Waiting to send" in line.inner_text()
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    page.goto(f"{live_server}/patients/{patient_id}")  # opened again, still offline
    page.locator(".app-timeline__line", has_text="Waiting to send").wait_for()
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    # The page redraws itself once the sync is done: no "Waiting to send" left behind.
    page.wait_for_function("""() => ![...document.querySelectorAll('.app-timeline__line')]
      .some((line) => line.innerText.includes('Waiting to send'))""")
    assert contacts_of(patient_id) == [*before, ("no_answer", "Rang twice, will try Thursday")]
    page.goto(f"{live_server}/patients/{patient_id}")  # online: the server's page says it too
    page.locator(".app-timeline__line", has_text="Rang twice").wait_for()


def test_offline_save_and_record_a_check_in_goes_on_to_the_measures(
    live_server: str, page: Any, context: Any
) -> None:
    patient_id = margaret().id
    db.session.commit()
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    page.goto(f"{live_server}/patients/{patient_id}/contacts/new")
    page.get_by_label("Visit").check()
    page.get_by_label("Time (optional)").fill("00:00")  # earlier today
    page.get_by_role("button", name="Save and record a check-in").click()
    page.get_by_role("heading", name="Record a check-in").wait_for()
    assert page.url.endswith(f"/patients/{patient_id}/check-ins/new")
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    assert ("visit", "") in contacts_of(patient_id)


def test_the_timeline_reads_the_same_online_and_offline(
    live_server: str, page: Any, context: Any
) -> None:
    patient = margaret()
    worker = patient.link_worker
    for record in (*patient.follow_ups, *patient.referrals):
        db.session.delete(record)
    now = utcnow()
    make_contact(patient, worker, kind="group_session", note="Lunch club",
                 happened_at=now - timedelta(days=1))  # fmt: skip
    called = now - timedelta(days=2)
    make_follow_up(patient, kind="call", due_at=called, done_at=called, outcome="left_message",
                   note="Mobile")  # fmt: skip
    make_follow_up(patient, kind="visit", due_at=now - timedelta(hours=3), note="Key safe")
    make_follow_up(patient, kind="visit", due_at=now + timedelta(days=6))
    make_check_in(patient, worker)
    make_referral(patient, make_asset(name="Chess club"), worker).note = "Thursdays"
    patient_id = patient.id
    db.session.commit()
    sign_in_and_sync(page, live_server)
    page.goto(f"{live_server}/patients/{patient_id}")
    lines = page.locator(".app-timeline__line")
    online = lines.all_inner_texts()
    context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="What has happened").wait_for()
    offline = lines.all_inner_texts()
    assert offline == online
    joined = "\n".join(online)
    for words in ("Group session – Lunch club", "Phone call done – Left a message – Mobile",
                  "Visit booked Overdue – Key safe", "Referral: Chess club Referred – Thursdays",
                  "Check-in – SWEMWBS"):  # fmt: skip
        assert words in joined, words
    assert online[0].endswith("Visit booked")  # the one still to come is on top
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
