"""A newcomer's first visit, in real headless Chromium on a phone-sized screen.

Skipped when Chromium is not installed, unless REQUIRE_BROWSER is set (as CI sets it), so a
missing browser can never pass silently in CI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from pwa.demo import DEMO_PASSWORD
from pwa.extensions import db
from pwa.models import AuditEvent, CheckIn

from .conftest import CHROMIUM, STRAY_WORDS, phone_ready

HAVE_CHROMIUM = Path(CHROMIUM).exists()
if not HAVE_CHROMIUM and os.environ.get("REQUIRE_BROWSER"):
    raise RuntimeError(f"REQUIRE_BROWSER is set but Chromium is not at {CHROMIUM}")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="Debian's chromium is not installed"),
]


def module(name: str) -> str:
    """JavaScript that imports one of the app's modules from this release's static address
    (pwa/static_files.py), as the page's own scripts did: the same module, the same state."""
    return f"await import(document.querySelector('meta[name=app-static]').content + 'js/{name}')"


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def accessibility_violations(page: Any) -> list[str]:
    """Run axe-core (WCAG 2.x A and AA rules) in the page and name what it finds.

    Also names a program's word for "nothing" (null, undefined, NaN) in the visible text: a
    person reading the page trips on it as on anything axe finds.
    """
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    results = Axe().run(page, options=options)
    stray = STRAY_WORDS.findall(page.evaluate("document.body.innerText"))
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
        for v in results.response["violations"]
    ] + ([f"stray words in the visible text: {stray}"] if stray else [])


def test_a_link_worker_signs_in_records_a_check_in_and_sees_the_scores(
    live_server: str, page: Any, tmp_path: Path, console_errors: list[str]
) -> None:
    page.goto(live_server)
    assert page.title() == "Sign in – Link worker"
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your caseload").wait_for()
    assert no_sideways_scroll(page)
    assert accessibility_violations(page) == []
    # The CSS and NHS.UK JavaScript came from the vendored npm files.
    assert page.evaluate("document.body.classList.contains('nhsuk-frontend-supported')")

    page.get_by_role("link", name="Patricia Walsh").click()
    page.get_by_role("heading", name="Patricia Walsh").wait_for()
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Record a check-in").click()
    page.get_by_role("heading", name="Record a check-in").wait_for()
    assert no_sideways_scroll(page)
    assert accessibility_violations(page) == []

    page.get_by_text("Loneliness (UCLA 3-item scale)").click()  # open the details
    for question, answer in [
        ("How often do you feel that you lack companionship?", "Some of the time"),
        ("How often do you feel left out?", "Often"),
        ("How often do you feel isolated from others?", "Often"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer).check()
    page.get_by_label("Notes (optional)").fill("Joined the lunch club")
    page.screenshot(path=str(tmp_path / "check-in.png"), full_page=True)
    page.get_by_role("button", name="Save check-in").click()

    page.get_by_text("Check-in saved").wait_for()
    assert page.get_by_text("8 out of 9 – lonely").is_visible()
    assert no_sideways_scroll(page)
    assert accessibility_violations(page) == []
    page.screenshot(path=str(tmp_path / "scores.png"), full_page=True)

    assert console_errors == []
    check_in = db.session.scalar(db.select(CheckIn).where(CheckIn.notes == "Joined the lunch club"))
    assert check_in.scores == {"ucla3": {"total": 8, "lonely": True}}
    views = db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(
            AuditEvent.action == "patient.view", AuditEvent.patient_id == check_in.patient_id
        )
    )
    assert views >= 2  # the record, then the check-in form


def test_a_form_error_is_announced_and_linked_to_the_field(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/sign-in")
    page.get_by_role("button", name="Sign in").click()
    assert accessibility_violations(page) == []
    summary = page.get_by_role("alert")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text()
    summary.get_by_role("link", name="Enter your username").click()
    assert page.evaluate("document.activeElement.id") == "username"


@pytest.mark.parametrize(
    ("username", "path"),
    [("admin", "/caseload"), ("admin", "/admin/users"), ("admin", "/admin/users/new"),
     ("admin", "/admin/assets/new"), ("amara", "/assets"), ("amara", "/patients/new"),
     ("pat", "/my-progress")],
)  # fmt: skip
def test_other_pages_are_accessible_and_fit_a_phone(
    live_server: str, page: Any, username: str, path: str
) -> None:
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    phone_ready(page)
    page.goto(f"{live_server}{path}")
    phone_ready(page)
    assert page.locator("h1").count() == 1
    assert no_sideways_scroll(page)
    assert accessibility_violations(page) == []


def test_with_no_signal_a_page_says_so_instead_of_a_browser_error(
    live_server: str, page: Any, context: Any, console_errors: list[str]
) -> None:
    # An admin's browser holds no records (only link workers' and patients' phones enrol),
    # so with no signal the shell has nothing to draw and says so.
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    # Every module loaded (going offline mid-load fails the load, as it would on a phone).
    page.wait_for_load_state("load")
    page.evaluate("navigator.serviceWorker.ready")  # installed, shell precached, in control

    context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="No connection").wait_for()
    assert accessibility_violations(page) == []
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
        }
        return urls;
    }""")
    paths = {url.removeprefix(live_server) for url in cached}
    assert "/offline" in paths
    assert not [p for p in paths if p.startswith(("/caseload", "/patients", "/api"))]

    context.set_offline(False)
    page.get_by_role("link", name="Try again").click()
    page.get_by_role("button", name="Sign out").wait_for()
    assert console_errors == []
