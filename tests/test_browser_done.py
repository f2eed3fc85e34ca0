"""Marking a follow-up done with how it went, offline as online: the same question on the
record page, sent once, and shown on the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pwa.extensions import db
from pwa.models import DISCHARGE_REASONS, FollowUp, Patient, utcnow

from .conftest import make_follow_up
from .test_browser import (
    accessibility_violations,
    no_sideways_scroll,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import OUTBOX_SIZE, eventually, sign_in_and_sync


def test_offline_a_call_is_marked_done_with_no_answer_and_reaches_the_server(
    live_server: str, page: Any, context: Any
) -> None:
    margaret = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    for booked in margaret.follow_ups:
        db.session.delete(booked)
    call_id = make_follow_up(margaret, kind="call", due_at=utcnow() + timedelta(hours=2)).id
    patient_id = margaret.id
    db.session.commit()
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    page.goto(f"{live_server}/patients/{patient_id}")
    page.get_by_role("heading", name="Margaret O'Brien").wait_for()  # drawn from the phone
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    page.get_by_label("How did it go? (optional)").select_option("no_answer")
    page.get_by_role("button", name="Mark as done").click()
    page.get_by_text("No answer").first.wait_for()
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    db.session.expire_all()
    call = db.session.get(FollowUp, call_id)
    assert call is not None and call.done_at is not None and call.outcome == "no_answer"
    page.goto(f"{live_server}/patients/{patient_id}")  # online, the server's own page
    page.get_by_text("Done No answer").wait_for()


def test_offline_a_discharge_asks_why_and_reaches_the_server_once(
    live_server: str, page: Any, context: Any
) -> None:
    grace = db.session.scalar(db.select(Patient).where(Patient.given_name == "Grace"))
    grace_id = grace.id
    db.session.commit()
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    page.goto(f"{live_server}/patients/{grace_id}")
    page.get_by_role("link", name="Discharge Grace Mensah").click()
    page.get_by_role("heading", name="Discharge Grace?").wait_for()
    page.get_by_role("button", name="Discharge Grace Mensah").click()
    page.get_by_role("link", name="Select why they are being discharged").wait_for()  # summary
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    listed = page.locator(".nhsuk-radios__label").all_inner_texts()
    assert listed == list(DISCHARGE_REASONS.values())  # in the online page's order
    page.get_by_label("Moved away").check()
    page.get_by_role("button", name="Discharge Grace Mensah").click()
    page.get_by_text("Grace Mensah's discharge saved on this phone").wait_for()
    assert page.get_by_role("link", name="Grace Mensah").count() == 0  # off the caseload at once
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    db.session.expire_all()
    grace = db.session.get(Patient, grace_id)
    assert grace is not None
    assert (grace.status, grace.discharge_reason) == ("discharged", "moved_away")


def test_offline_a_patient_already_on_the_phone_is_caught_before_sending(
    live_server: str, page: Any, context: Any
) -> None:
    margaret = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    nhs, born = margaret.nhs_number, margaret.date_of_birth
    db.session.commit()
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    page.goto(f"{live_server}/patients/new")

    def fill(given: str, family: str, nhs_number: str) -> None:
        page.get_by_label("First name").fill(given)
        page.get_by_label("Last name").fill(family)
        page.get_by_label("Day").fill(str(born.day))
        page.get_by_label("Month").fill(str(born.month))
        page.get_by_label("Year").fill(str(born.year))
        page.get_by_label("NHS number (optional)").fill(nhs_number)
        page.get_by_label("Why were they referred?").fill("Met at the lunch club")
        page.get_by_role("group", name="Have they agreed").get_by_label("Yes").check()
        page.get_by_role("button", name="Add patient").click()

    fill("Peter", "Smith", f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}")
    page.get_by_text("Margaret O'Brien (born").first.wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 0
    fill("MARGARET", "o’brien", "")
    page.get_by_text("Already here?").wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 0 and accessibility_violations(page) == []
    page.get_by_label("This is a different person: add them anyway").check()
    page.get_by_role("button", name="Add patient").click()
    eventually(page, OUTBOX_SIZE, 1)
