"""The patients' app in Chromium: the invitation journey to help when it matters.

A link worker invites a patient; the patient opens the link on their own phone (a fresh
browser), chooses a password and lands on their progress; with no signal they do a check-in
that crosses a help threshold and see "If you need help"; once it is sent, their link worker
finds it in "Check-ins to look at". And the phone's help rules agree with the server's.
"""

from __future__ import annotations

from typing import Any

from pwa.extensions import db
from pwa.measures import HelpThresholds, help_reasons, score
from pwa.models import CheckIn, Patient, User

from .conftest import answer_pin_prompts
from .test_browser import (
    accessibility_violations,
    no_sideways_scroll,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import OUTBOX_SIZE, eventually, sign_in_and_sync
from .test_measures import ONS4_ITEMS, swemwbs_answers_totalling

NEW_PASSWORD = "copper kettle meadow"

HELP_RULES = """async ([cases, thresholds]) => {
  const base = document.querySelector('meta[name=app-static]').content;
  const help = await import(base + 'js/help.mjs');
  const served = help.servedThresholds();
  return cases.map((scores) => help.helpReasons(scores, thresholds ?? served));
}"""


def every_edge() -> list[dict[str, Any]]:
    """Scored check-ins at every ONS4 value, every SWEMWBS total, every UCLA-3 total."""
    cases = [{"ons4": score("ons4", dict.fromkeys(ONS4_ITEMS, 5) | {item: value})}
             for item in ONS4_ITEMS for value in range(11)]  # fmt: skip
    cases += [{"swemwbs": score("swemwbs", swemwbs_answers_totalling(raw))}
              for raw in range(7, 36)]  # fmt: skip
    cases += [{"ucla3": {"total": total, "lonely": total >= 6}} for total in range(3, 10)]
    return cases


def test_the_phone_and_the_server_agree_on_every_help_threshold_edge(
    live_server: str, page: Any
) -> None:
    page.goto(f"{live_server}/offline")
    cases = every_edge()
    phone = page.evaluate(HELP_RULES, [cases, None])
    assert phone == [list(help_reasons(c)) for c in cases]
    assert sum(map(bool, phone)) > 20  # the edges were really crossed, both ways
    mine = HelpThresholds(ons4_low_items=("worthwhile",), ons4_low_at_most=2,
                          anxiety_high_from=9, swemwbs_below=21.0, ucla3_lonely_from=8)  # fmt: skip
    phone = page.evaluate(HELP_RULES, [cases, mine.as_data()])
    assert phone == [list(help_reasons(c, mine)) for c in cases]


def test_invited_on_the_record_a_patient_sets_up_and_gets_help_offline_and_is_seen(
    live_server: str, page: Any, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    amara = db.session.scalar(db.select(User).where(User.username == "amara"))
    invitee = db.session.scalars(
        db.select(Patient).where(Patient.link_worker_id == amara.id, Patient.user_id.is_(None))
    ).first()
    assert invitee is not None
    patient_id, name = invitee.id, invitee.full_name
    db.session.commit()  # capture plain values, then end the read (SQLite's lock)

    sign_in_and_sync(page, live_server)
    page.goto(f"{live_server}/patients/{patient_id}")
    page.get_by_role("button", name="Invite to the app").click()
    page.get_by_role("heading", name="Invitation to the app").wait_for()
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    link = page.get_by_test_id("invitation-link").inner_text()
    assert "/set-password/" in link

    phone = browser.new_context(**browser_context_args)
    patient_page = phone.new_page()
    answer_pin_prompts(patient_page)
    patient_page.goto(link)
    patient_page.get_by_role("heading", name="Set up your account").wait_for()
    assert accessibility_violations(patient_page) == [] and no_sideways_scroll(patient_page)
    patient_page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    patient_page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    patient_page.get_by_role("button", name="Save and sign in").click()
    patient_page.get_by_role("heading", name="My progress").wait_for()
    patient_page.get_by_text("Everything saved on this phone has been sent").wait_for()

    phone.set_offline(True)
    patient_page.reload()
    patient_page.get_by_text("You are offline").wait_for()
    patient_page.get_by_role("link", name="Do a check-in").click()
    patient_page.get_by_role("heading", name="How are you doing?").wait_for()
    for question, answer in (("Overall, how satisfied are you with your life nowadays?", "1"),
                             ("Overall, to what extent do you feel", "3"),
                             ("Overall, how happy did you feel yesterday?", "2"),
                             ("On a similar scale, overall, how anxious", "4")):  # fmt: skip
        patient_page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    patient_page.get_by_role("button", name="Save check-in").click()
    patient_page.get_by_text("Check-in saved on this phone").wait_for()
    panel = patient_page.get_by_test_id("help-panel")
    panel.wait_for()
    assert "116 123" in panel.inner_text() and "NHS 111" in panel.inner_text()
    assert accessibility_violations(patient_page) == []
    patient_page.get_by_role("link", name="Get help now").click()
    patient_page.get_by_role("heading", name="Get help now").wait_for()  # offline, from the cache

    phone.set_offline(False)
    patient_page.goto(f"{live_server}/my-progress")
    eventually(patient_page, OUTBOX_SIZE, 0)
    stored = db.session.scalar(
        db.select(CheckIn).where(CheckIn.patient_id == patient_id, CheckIn.source == "self")
    )
    assert stored is not None and stored.source == "self"
    assert help_reasons(stored.scores) == ("life_satisfaction", "happiness")
    db.session.commit()
    phone.close()

    page.goto(f"{live_server}/caseload")
    waiting = page.locator("#to-look-at")
    waiting.wait_for()
    assert name in waiting.inner_text() and "low life satisfaction" in waiting.inner_text()
    assert accessibility_violations(page) == []
    waiting.get_by_role("button", name="Mark as seen").click()
    page.get_by_text("marked as seen").wait_for()
    assert page.locator("#to-look-at").count() == 0


MY_CARE = """() => [...document.querySelectorAll('main h2, .app-coming-up li, .app-my-groups li')]
  .map((e) => e.innerText.replace(/\\s+/g, ' ').trim())
  .filter((text) => !/latest check-in|over time|Your check-ins/.test(text))"""


def test_a_patient_sees_their_link_worker_contacts_and_groups_the_same_offline(
    live_server: str, page: Any, context: Any
) -> None:
    from datetime import timedelta

    from pwa.models import utcnow

    from .conftest import make_follow_up

    pat = db.session.scalar(db.select(User).where(User.username == "pat"))
    patricia = db.session.scalar(db.select(Patient).where(Patient.user_id == pat.id))
    for booked in patricia.follow_ups:  # only this test's own: the demo's may be anything
        db.session.delete(booked)
    for referral in patricia.referrals:  # and a group she has been put in touch with
        referral.status = "referred"
    db.session.commit()
    make_follow_up(patricia, kind="call", due_at=utcnow() + timedelta(days=3))
    make_follow_up(patricia, kind="visit", due_at=utcnow() - timedelta(days=3))  # missed
    sign_in_and_sync(page, live_server, "pat", home="My progress")
    online = page.evaluate(MY_CARE)
    assert not any("A visit from your link worker" in line for line in online)  # not to come
    assert "Your link worker" in online and "Coming up" in online
    assert any("A phone call from your link worker" in line for line in online)
    assert any("Your link worker has put you in touch" in line or "suggested" in line
               for line in online)  # fmt: skip
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    page.get_by_role("link", name="What your link worker can help with").click()
    page.get_by_role("heading", name="What your link worker can help with").wait_for()
    assert accessibility_violations(page) == []
    context.set_offline(True)
    page.goto(f"{live_server}/my-progress")
    page.get_by_text("You are offline").wait_for()
    offline = page.evaluate(MY_CARE)
    # The dates are drawn on the phone in its own words; the rest is the same, line for line.
    strip = lambda lines: [line.split(": ", 1)[-1] for line in lines]  # noqa: E731
    assert strip(offline) == strip(online)


KEPT_HELP_HAS = """async (words) => {
  const name = (await caches.keys()).find((key) => key.startsWith('lw-shell-'));
  const kept = name && await (await caches.open(name)).match('/help');
  return Boolean(kept) && (await kept.text()).includes(words);
}"""


def test_the_practices_new_words_reach_the_phone_for_offline_help(
    live_server: str, page: Any, context: Any
) -> None:
    from pwa.practice import set_practice_text

    sign_in_and_sync(page, live_server, "pat", home="My progress")
    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    words = "Call Leeds Road Surgery on 0113 496 0000, 8am to 6pm."
    set_practice_text("gp_practice", words, admin)
    db.session.commit()
    assert not page.evaluate(KEPT_HELP_HAS, words)  # kept from before the edit
    page.evaluate("sessionStorage.removeItem('app-kept-fresh')")  # a new visit, as tomorrow's
    page.reload()
    eventually(page, f"() => ({KEPT_HELP_HAS})({words!r})")

    context.set_offline(True)
    page.goto(f"{live_server}/help")
    page.get_by_text(words).wait_for()  # the kept page, with the practice's new words
    page.goto(f"{live_server}/my-progress/check-in")
    page.get_by_role("heading", name="How are you doing?").wait_for()
    assert "null" not in page.inner_text("main")
    for question in ("Overall, how satisfied are you with your life nowadays?",
                     "Overall, to what extent do you feel",
                     "Overall, how happy did you feel yesterday?",
                     "On a similar scale, overall, how anxious"):  # fmt: skip
        page.get_by_role("group", name=question).get_by_label("2", exact=True).check()
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_test_id("help-panel").get_by_text(words).wait_for()
