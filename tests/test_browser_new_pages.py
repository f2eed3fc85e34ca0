"""Every page the patients' app added, read in Chromium at 320 px: axe finds nothing, nothing
scrolls sideways, and the page says what it should. (The invitation, set-up, My progress and
Check-ins to look at pages are read in tests/test_browser_help.py on the whole journey.)"""

from __future__ import annotations

from typing import Any

from pwa import access_links
from pwa.demo import DEMO_PASSWORD
from pwa.extensions import db
from pwa.models import CheckIn, Patient, User

from .test_browser import (
    accessibility_violations,
    no_sideways_scroll,
    pytestmark,  # noqa: F401 - the same browser requirement
)


def reads_well(page: Any, heading: str, exact: bool = True) -> None:
    page.get_by_role("heading", name=heading, exact=exact).first.wait_for()
    assert accessibility_violations(page) == [], page.url
    assert no_sideways_scroll(page), page.url


def sign_in(page: Any, live_server: str, username: str, home: str) -> None:
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=home).wait_for()


def test_the_public_pages_and_a_code_with_its_errors(live_server: str, page: Any) -> None:
    amara = db.session.scalar(db.select(User).where(User.username == "amara"))
    margaret = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    _, code = access_links.invite(margaret, amara)
    db.session.commit()
    public = (("/help", "Get help now"),
              ("/about-link-workers", "What your link worker can help with"))  # fmt: skip
    for path, heading in public:
        page.goto(f"{live_server}{path}")
        reads_well(page, heading)
    page.goto(f"{live_server}/join")
    page.get_by_label("Your code").fill("not a code")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("12 letters and numbers").first.wait_for()
    reads_well(page, "Use your code")
    page.get_by_label("Your code").fill(access_links.shown(code))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Choose a password").fill("password1234")
    page.get_by_label("Type the password again").fill("password1234")
    page.get_by_role("button", name="Save and sign in").click()
    page.get_by_text("This is a very common password").first.wait_for()
    reads_well(page, "Set up your account")
    page.goto(f"{live_server}/set-password/K7QM4XPDR2WA")
    reads_well(page, "This code does not work")


def test_the_admins_new_pages(live_server: str, page: Any, app: Any) -> None:
    enrolled = app.test_client().post("/api/v1/devices", json={
        "username": "amara", "password": DEMO_PASSWORD, "name": "Amara's work phone"})  # fmt: skip
    assert enrolled.status_code == 201
    db.session.commit()
    sign_in(page, live_server, "admin", "All active patients")
    page.goto(f"{live_server}/admin/practice")
    reads_well(page, "Words for patients")
    page.get_by_label("How to contact the practice").fill(
        "Call Leeds Road Surgery on 0113 496 0001."
    )
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved").wait_for()
    page.goto(f"{live_server}/admin/users")
    page.get_by_role("button", name="Give a reset link to Ben Hughes").click()
    reads_well(page, "Reset link for Ben Hughes")
    page.goto(f"{live_server}/admin/audit")
    reads_well(page, "Audit trail")
    page.goto(f"{live_server}/admin/devices")
    reads_well(page, "Phones")
    page.get_by_role("link", name="Cut off this phone").first.click()
    reads_well(page, "Cut off this phone?")
    for path, heading in (
        ("/account", "Your account"),
        ("/account/password", "Change your password"),
    ):
        page.goto(f"{live_server}{path}")
        reads_well(page, heading)


def test_a_link_workers_new_parts_of_the_record_and_a_check_in_to_look_at(
    live_server: str, page: Any
) -> None:
    pat = db.session.scalar(db.select(User).where(User.username == "pat"))
    patricia = db.session.scalar(db.select(Patient).where(Patient.user_id == pat.id))
    patient_id = patricia.id
    low = CheckIn(patient_id=patient_id, author_id=pat.id, source="self",
                  captured_at=patricia.check_ins[-1].captured_at, measures={},
                  scores={"ucla3": {"total": 9, "lonely": True}})  # fmt: skip
    db.session.add(low)
    db.session.commit()
    check_in_id = low.id
    db.session.commit()
    sign_in(page, live_server, "amara", "Your caseload")
    reads_well(page, "Your caseload")
    page.goto(f"{live_server}/patients/{patient_id}")
    reads_well(page, "Patricia Walsh")
    assert page.get_by_text("Yes, username pat").count() == 1
    page.goto(f"{live_server}/patients/{patient_id}/check-ins/{check_in_id}")
    reads_well(page, "A check-in to look at", exact=False)
    page.get_by_role("button", name="Mark as seen").click()
    page.get_by_text("Marked as seen by Amara Okafor").wait_for()


def test_the_outcomes_report_assets_to_check_and_a_discharge(live_server: str, page: Any) -> None:
    """Issue 13's last pages, on the demo practice: the report with its charts and tables (also
    with a filter that is wrong), the directory's review list, and discharging with a reason."""
    dev = db.session.scalar(db.select(Patient).where(Patient.given_name == "Dev"))
    dev_id = dev.id
    db.session.commit()
    sign_in(page, live_server, "admin", "All active patients")
    page.goto(f"{live_server}/admin/outcomes")
    reads_well(page, "Outcomes report")
    assert page.locator("svg[role=img]").count() >= 8
    assert page.get_by_text("Shah et al. 2018").count() == 1
    page.goto(f"{live_server}/admin/outcomes?from=9999-12-01&worker=nobody")
    reads_well(page, "Outcomes report")
    page.get_by_text("this shows the last 12 months").wait_for()
    page.goto(f"{live_server}/admin/assets/review")
    reads_well(page, "Community assets to check")
    page.get_by_role("button", name="Mark Men's Shed Harehills as checked").click()
    page.get_by_text("details marked as checked today").wait_for()
    reads_well(page, "Community assets to check")
    page.goto(f"{live_server}/patients/{dev_id}")
    page.get_by_role("link", name="Discharge Dev Patel").click()
    reads_well(page, "Discharge Dev?")
    page.get_by_role("button", name="Discharge Dev Patel").click()
    page.get_by_text("Select why they are being discharged").first.wait_for()
    reads_well(page, "Discharge Dev?")
    page.get_by_label("Referred on to another service").check()
    page.get_by_role("button", name="Discharge Dev Patel").click()
    page.get_by_text("Dev Patel has been discharged: referred on to another service").wait_for()


def test_logging_a_contact_online_and_the_record_that_shows_it(live_server: str, page: Any) -> None:
    """Issue 14's pages, online at 320 px: the contact form with its errors, and the record's
    timeline once the contact is saved."""
    margaret = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    patient_id = margaret.id
    db.session.commit()
    sign_in(page, live_server, "amara", "Your caseload")
    page.goto(f"{live_server}/patients/{patient_id}/contacts/new")
    reads_well(page, "Log a contact")
    page.get_by_label("Time (optional)").fill("23:59")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("Select what happened").first.wait_for()
    reads_well(page, "Log a contact")
    page.get_by_label("Group session").check()
    page.get_by_label("Time (optional)").fill("")
    page.get_by_label("Note (optional)").fill("Came to the lunch club, stayed for bingo")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("Group session logged").wait_for()
    reads_well(page, "Margaret O'Brien")
    assert page.get_by_text("Group session – Came to the lunch club").count() == 1
