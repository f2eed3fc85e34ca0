"""A link worker with no signal, through the real pages, in real Chromium against the real server.

Each test signs in, lets the page enrol the phone and sync, then works offline the way a person
does: reload, open a record, fill in a form, save. The server must end up with every record
exactly once, whatever happens to the connection, the token or the service worker on the way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pwa.demo import DEMO_PASSWORD
from pwa.extensions import db
from pwa.models import CheckIn, Device, Patient, SyncReview, User, utcnow

from .test_browser import (
    accessibility_violations,
    module,
    pytestmark,  # noqa: F401 - the same browser requirement
)

STORE = module("local-store.mjs")
# Counted in plain: readable while the phone is locked, and once it has been wiped.
OUTBOX_SIZE = f"""async () => {{ const s = {STORE}; const c = await s.outboxCounts();
    return c.pending + c.attention; }}"""


def eventually(page: Any, script: str, expected: Any = True, timeout: float = 20) -> Any:
    """Poll an async script in the page until it returns `expected` (wait_for_function cannot)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value == expected or time.monotonic() > deadline:
            assert value == expected, f"{script} gave {value!r}, waited for {expected!r}"
            return value
        time.sleep(0.1)


def until(page: Any, check: Callable[[], Any], timeout: float = 20) -> Any:
    """Poll a check until it is true, letting Playwright deliver its events meanwhile."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        page.wait_for_timeout(100)
    return value


def sign_in_and_sync(
    page: Any, live_server: str, username: str = "amara", home: str = "Your caseload"
) -> None:
    """Sign in as a person does, then wait for the page to enrol the phone and finish a sync.

    The service worker installs (and precaches the shell) before signing in, as on a phone
    opening the app for the first time, so the shell must serve whatever session comes later.
    """
    page.goto(f"{live_server}/sign-in")
    active = "async () => (await navigator.serviceWorker.getRegistration())?.active?.state"
    eventually(page, active, "activated")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=home).wait_for()
    page.get_by_text("Everything saved on this phone has been sent").wait_for()


def count(model: Any, *where: Any) -> int:
    found = db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))
    db.session.commit()  # end the read: SQLite's lock would stall the server's threads
    return found


def record_check_in_on_the_page(page: Any, notes: str) -> None:
    page.get_by_role("link", name="Record a check-in").click()
    page.get_by_role("heading", name="Record a check-in").wait_for()
    page.get_by_text("Loneliness (UCLA 3-item scale)").click()
    for question, answer in [
        ("How often do you feel that you lack companionship?", "Some of the time"),
        ("How often do you feel left out?", "Often"),
        ("How often do you feel isolated from others?", "Often"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer).check()
    page.get_by_label("Notes (optional)").fill(notes)
    page.get_by_role("button", name="Save check-in").click()


def save_check_in_offline(page: Any, context: Any, notes: str) -> None:
    """Lose the signal, then record a check-in for Patricia through the offline pages."""
    context.set_offline(True)
    page.get_by_role("link", name="Patricia Walsh").click()
    page.get_by_role("heading", name="Patricia Walsh").wait_for()
    record_check_in_on_the_page(page, notes)
    page.get_by_text("Check-in saved on this phone").wait_for()


def add_patient_on_the_page(page: Any, live_server: str, nhs_number: str = "") -> None:
    page.goto(f"{live_server}/caseload")
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_role("heading", name="Add a patient").wait_for()
    page.get_by_label("First name").fill("Olu")
    page.get_by_label("Last name").fill("Adeyemi")
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("7")
    page.get_by_label("Year").fill("1951")
    page.get_by_label("NHS number (optional)").fill(nhs_number)
    page.get_by_label("Why were they referred?").fill("Lonely since moving to the area")
    page.get_by_role("group", name="Have they agreed").get_by_label("Yes").check()
    page.get_by_role("button", name="Add patient").click()


def test_offline_the_app_opens_and_a_check_in_and_new_patient_reach_the_server_once(
    live_server: str, page: Any, context: Any, console_errors: list[str]
) -> None:
    context.grant_permissions(["background-sync"])
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    page.reload()
    page.get_by_text("You are offline").wait_for()  # the caseload, drawn from IndexedDB
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Patricia Walsh").click()
    page.get_by_role("heading", name="Patricia Walsh").wait_for()
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Record a check-in").click()
    page.get_by_role("heading", name="Record a check-in").wait_for()
    page.get_by_role("button", name="Save check-in").click()  # nothing answered
    page.get_by_text("Answer every question of at least one measure").wait_for()
    assert accessibility_violations(page) == []
    page.go_back()
    record_check_in_on_the_page(page, "Met on the doorstep, no signal")
    page.get_by_text("Check-in saved on this phone").wait_for()
    assert page.get_by_text("Waiting to send", exact=True).count() == 1
    page.get_by_text("1 record waiting to send").wait_for()

    add_patient_on_the_page(page, live_server)
    page.get_by_role("heading", name="Olu Adeyemi").wait_for()
    page.get_by_text("2 records waiting to send").wait_for()
    assert count(CheckIn, CheckIn.notes == "Met on the doorstep, no signal") == 0

    context.set_offline(False)  # `online`, and Background Sync, both send the outbox
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Met on the doorstep, no signal") == 1
    assert count(Patient, Patient.family_name == "Adeyemi") == 1
    page.reload()  # online: the server's own page now shows the patient added offline
    page.get_by_role("heading", name="Olu Adeyemi").wait_for()
    assert count(Patient, Patient.family_name == "Adeyemi") == 1
    assert [e for e in console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_background_sync_in_the_service_worker_sends_the_outbox(
    live_server: str, page: Any, context: Any
) -> None:
    context.grant_permissions(["background-sync"])
    sign_in_and_sync(page, live_server)
    cdp = context.new_cdp_session(page)
    registrations: list[str] = []

    def note_registrations(event: dict[str, Any]) -> None:
        registrations.extend(r["registrationId"] for r in event["registrations"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", note_registrations)
    cdp.send("ServiceWorker.enable")
    until(page, lambda: registrations)
    save_check_in_offline(page, context, "Sent by Background Sync")
    page.evaluate("""() => navigator.serviceWorker.addEventListener("message",
                         (event) => { window.askedBy = event.data.type; })""")
    # Back online with the page's own tries failing; then the service worker's sync event
    # (as Chromium fires it when the connection returns) asks the page to sync again.
    page.route("**/api/v1/sync", lambda route: route.abort())
    context.set_offline(False)
    page.wait_for_timeout(500)
    page.unroute("**/api/v1/sync")
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": live_server,
             "registrationId": registrations[0], "tag": "outbox", "lastChance": False})  # fmt: skip
    eventually(page, "() => window.askedBy", "sync-requested")
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Sent by Background Sync") == 1


def test_with_background_sync_denied_the_online_event_sends_the_outbox(
    live_server: str, page: Any, context: Any
) -> None:
    # Granting one permission refuses every other, Background Sync included: the fallback path.
    context.grant_permissions(["geolocation"])
    sign_in_and_sync(page, live_server)
    denied = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        try { await registration.sync.register("outbox"); return "registered"; }
        catch (error) { return error.name; } }""")
    assert denied == "NotAllowedError"
    save_check_in_offline(page, context, "Sent by the fallback")
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Sent by the fallback") == 1


def test_a_response_lost_mid_sync_leaves_one_copy_and_the_phone_catches_up(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    save_check_in_offline(page, context, "Answer lost on the way back")
    lost: list[int] = []

    def apply_then_lose(route: Any) -> None:
        if not lost:
            lost.append(route.fetch().status)  # the server applies the batch...
            route.abort()  # ...and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/sync", apply_then_lose)
    context.set_offline(False)
    until(page, lambda: lost)
    assert lost == [200]
    assert count(CheckIn, CheckIn.notes == "Answer lost on the way back") == 1
    # The backoff timer (or the next trigger) sends it again: a duplicate, acknowledged.
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Answer lost on the way back") == 1


def test_an_expired_token_while_offline_loses_nothing_after_signing_in_again(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    save_check_in_offline(page, context, "Saved while the token ran out")
    db.session.execute(db.update(Device).values(last_seen_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    context.set_offline(False)
    page.get_by_role("link", name="Sign in again").wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 1
    assert count(CheckIn, CheckIn.notes == "Saved while the token ran out") == 0
    page.get_by_role("link", name="Sign in again").click()  # the page session still holds
    page.get_by_role("heading", name="Your caseload").wait_for()
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Saved while the token ran out") == 1


def test_a_service_worker_update_with_records_waiting_loses_nothing(
    live_server: str, page: Any, context: Any, app: Any
) -> None:
    sign_in_and_sync(page, live_server)
    old_caches = page.evaluate("caches.keys()")
    save_check_in_offline(page, context, "Waiting through a deploy")
    page.route("**/api/v1/sync", lambda route: route.abort())  # nothing can be sent yet
    context.set_offline(False)

    app.config["APP_VERSION"] = "99.0.0"  # a deploy: a new worker and a new shell cache
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
    eventually(page, "async () => (await caches.keys()).some(k => k.startsWith('lw-shell-99.0.0'))")
    eventually(page, "async () => (await caches.keys()).length", 1)
    assert page.evaluate("caches.keys()") != old_caches
    assert page.evaluate(OUTBOX_SIZE) == 1

    page.unroute("**/api/v1/sync")
    page.reload()  # the app starts again under the new worker and sends what was waiting
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Waiting through a deploy") == 1


def test_a_record_the_server_refuses_can_be_fixed_and_sent_again(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    context.set_offline(True)
    add_patient_on_the_page(page, live_server, nhs_number="943 476 5918")  # a wrong check digit
    page.get_by_role("heading", name="Olu Adeyemi").wait_for()
    context.set_offline(False)
    page.get_by_role("link", name="1 record needs attention").wait_for()
    assert count(Patient, Patient.family_name == "Adeyemi") == 0
    assert count(SyncReview) == 0  # refused for a reason the person can fix: nothing to review
    page.get_by_role("link", name="1 record needs attention").click()
    page.get_by_text("Olu Adeyemi's details").wait_for()
    page.get_by_role("link", name="Fix it").click()
    page.get_by_role("heading", name="Fix and send again").wait_for()
    assert page.get_by_text("check digit").count() >= 1
    page.get_by_label("NHS number (optional)").fill("943 476 5919")
    assert page.get_by_role("button", name="Add patient").count() == 0  # it is not new
    page.get_by_role("button", name="Save and send again").click()
    page.get_by_role("heading", name="Sync status").wait_for()
    eventually(page, OUTBOX_SIZE, 0)
    assert count(Patient, Patient.nhs_number == "9434765919") == 1


def test_a_check_in_draft_survives_the_page_closing_and_goes_once_saved(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    page.get_by_role("link", name="Patricia Walsh").click()
    page.get_by_role("link", name="Record a check-in").click()
    form_url, form_path = page.url, page.evaluate("location.pathname")
    page.get_by_text("Loneliness (UCLA 3-item scale)").click()
    page.get_by_role("group", name="How often do you feel left out?").get_by_label("Often").check()
    page.get_by_label("Notes (optional)").fill("Interrupted by a phone call")
    eventually(page, f"async () => Boolean(await ({STORE}).getDraft(location.pathname))")
    page.close()  # the visit is interrupted: the tab is gone

    again = context.new_page()
    again.goto(form_url)
    again.get_by_text("We kept what you typed here").wait_for()
    assert again.get_by_label("Notes (optional)").input_value() == "Interrupted by a phone call"
    group = again.get_by_role("group", name="How often do you feel left out?")
    assert group.get_by_label("Often").is_checked()
    for question, answer in [
        ("How often do you feel that you lack companionship?", "Hardly ever"),
        ("How often do you feel isolated from others?", "Hardly ever"),
    ]:
        again.get_by_role("group", name=question).get_by_label(answer).check()
    again.get_by_role("button", name="Save check-in").click()  # online: the server's own form
    again.get_by_text("Check-in saved").wait_for()
    eventually(again, f"async () => (await ({STORE}).getDraft('{form_path}')) === undefined")
    assert count(CheckIn, CheckIn.notes == "Interrupted by a phone call") == 1


def test_signing_out_with_unsent_records_asks_first_and_keeps_them_if_told_to(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    save_check_in_offline(page, context, "Not yet sent at sign-out")
    page.route("**/api/v1/sync", lambda route: route.abort())
    context.set_offline(False)
    page.goto(f"{live_server}/caseload")
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        if len(questions) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="Sign out").click()
    until(page, lambda: questions)
    assert "1 record has not been sent" in questions[0]
    assert page.evaluate(OUTBOX_SIZE) == 1  # kept: the person said no
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 0
    assert page.evaluate(f"async () => ({STORE}).getMeta('token')") is None


def test_signing_out_with_no_signal_removes_nothing_and_says_why(
    live_server: str, page: Any, context: Any
) -> None:
    """A page loaded with signal still offers Sign out once the signal has gone: agreeing to
    lose the waiting record wiped it, and the sign-out never reached the server."""
    sign_in_and_sync(page, live_server)
    earlier = context.new_page()
    earlier.goto(f"{live_server}/caseload")
    earlier.get_by_role("heading", name="Your caseload").wait_for()
    save_check_in_offline(page, context, "Saved with no signal")
    questions: list[str] = []
    earlier.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    earlier.get_by_role("button", name="Sign out").click()
    earlier.get_by_text("Signing out needs signal").wait_for()
    assert questions == []
    assert page.evaluate(OUTBOX_SIZE) == 1
    assert page.evaluate(f"async () => ({STORE}).getMeta('token')") is not None
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)  # and it is sent once the signal is back
    assert count(CheckIn, CheckIn.notes == "Saved with no signal") == 1


def test_a_patient_reassigned_while_offline_stays_until_their_unsent_check_in_is_resolved(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    save_check_in_offline(page, context, "Written after she moved to Ben")
    patricia = db.session.scalar(db.select(Patient).where(Patient.given_name == "Patricia"))
    patricia_id = str(patricia.id)
    patricia.link_worker_id = db.session.scalar(db.select(User.id).where(User.username == "ben"))
    db.session.commit()
    held = f"""async () => {{ const r = await ({STORE}).getRecord('{patricia_id}');
                             return r ? r.status : null; }}"""
    context.set_offline(False)
    page.get_by_role("link", name="1 record needs attention").wait_for()
    assert page.evaluate(held) == "left"  # not purged while her check-in waits for a decision
    page.get_by_role("link", name="1 record needs attention").click()
    page.get_by_text("no longer on your caseload").wait_for()
    assert page.get_by_role("link", name="Fix it").count() == 0
    page.get_by_role("button", name="Discard this change").click()
    page.get_by_text("0 waiting to send, 0 needing attention").wait_for()
    assert page.evaluate(held) is None
    assert count(CheckIn, CheckIn.notes == "Written after she moved to Ben") == 0
    assert count(SyncReview, SyncReview.reason == "out_of_scope") == 1  # kept for an admin


def test_a_patient_does_a_check_in_on_their_own_phone_with_no_signal(
    live_server: str, page: Any, context: Any, console_errors: list[str]
) -> None:
    sign_in_and_sync(page, live_server, "pat", home="My progress")
    context.set_offline(True)
    page.reload()
    page.get_by_text("You are offline").wait_for()
    assert page.get_by_role("link", name="Caseload").count() == 0  # not theirs to see
    page.get_by_role("link", name="Do a check-in").click()
    page.get_by_role("heading", name="How are you doing?").wait_for()
    assert accessibility_violations(page) == []
    page.get_by_text("Feeling lonely").click()
    for question in [
        "How often do you feel that you lack companionship?",
        "How often do you feel left out?",
        "How often do you feel isolated from others?",
    ]:
        page.get_by_role("group", name=question).get_by_label("Hardly ever").check()  # fmt: skip
    page.get_by_label("Anything you want to tell your link worker? (optional)").fill(
        "Went to the lunch club twice"
    )
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_text("Check-in saved on this phone").wait_for()
    page.get_by_role("heading", name="My progress").wait_for()
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    stored = db.session.scalar(
        db.select(CheckIn).where(CheckIn.notes == "Went to the lunch club twice")
    )
    assert (stored.source, stored.scores["ucla3"]["lonely"]) == ("self", False)
    db.session.commit()
    assert [e for e in console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_another_persons_draft_is_never_shown_on_a_shared_phone(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    save_check_in_offline(page, context, "Amara's unsent check-in")  # the phone stays hers
    page.route("**/api/v1/sync", lambda route: route.abort())  # before `online` could send it
    context.set_offline(False)
    patricia = db.session.scalar(db.select(Patient).where(Patient.given_name == "Patricia"))
    form_path = f"/patients/{patricia.id}/check-ins/new"
    db.session.commit()
    page.goto(f"{live_server}{form_path}")
    page.get_by_label("Notes (optional)").fill("Amara's half-typed notes")
    eventually(page, f"async () => Boolean(await ({STORE}).getDraft('{form_path}'))")

    patricia = db.session.scalar(db.select(Patient).where(Patient.given_name == "Patricia"))
    patricia.link_worker_id = db.session.scalar(db.select(User.id).where(User.username == "ben"))
    db.session.commit()
    context.clear_cookies()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill("ben")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Amara Okafor has records not yet sent from this phone").wait_for()
    page.goto(f"{live_server}{form_path}")
    page.get_by_role("heading", name="Record a check-in").wait_for()
    page.get_by_text("has records not yet sent from this phone").wait_for()  # not opened for Ben
    assert page.get_by_label("Notes (optional)").input_value() == ""
    assert page.get_by_text("We kept what you typed here").count() == 0
