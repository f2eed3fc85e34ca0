"""What the phone keeps, in real Chromium: the Settings page says whether the browser will keep
the app's records and how much room they take, warning before it runs out; signing out of an
empty phone has the browser clear the site's storage."""

from __future__ import annotations

from typing import Any

from .test_browser import module, pytestmark  # noqa: F401 - the same browser requirement
from .test_browser_offline import eventually, sign_in_and_sync

# The browser's own answer, replaced: a phone with 30 MB left for the app.
NEARLY_FULL = """
navigator.storage.estimate = async () => ({ usage: 170 * 1024 * 1024, quota: 200 * 1024 * 1024 });
"""


def test_settings_say_how_much_room_the_records_take(live_server: str, page: Any) -> None:
    sign_in_and_sync(page, live_server)
    page.goto(f"{live_server}/settings")
    page.get_by_text("The app's records and files take").wait_for()
    kept = page.evaluate("navigator.storage.persisted()")
    sentence = "has agreed to keep this app's records" if kept else "may clear this app's records"
    assert page.get_by_text(sentence).is_visible()
    assert page.locator("[data-storage-warning]").count() == 0


def test_settings_warn_before_the_phone_runs_out_of_room(
    live_server: str, page: Any, context: Any
) -> None:
    context.add_init_script(NEARLY_FULL)
    sign_in_and_sync(page, live_server)
    page.goto(f"{live_server}/settings")
    page.get_by_text("This phone is running out of space for the app").wait_for()
    assert page.get_by_text("take 170.0 MB of the 200.0 MB").is_visible()


def test_signing_out_of_an_empty_phone_clears_the_site(live_server: str, page: Any) -> None:
    """The page says the phone is empty; the server's answer then has the browser clear the
    site's storage (the shell cache and the worker too). Without the page's word it does not
    (tests/test_sessions.py)."""
    sign_in_and_sync(page, live_server)
    # A mark only the browser itself would clear: the app never writes or removes it.
    page.evaluate("localStorage.setItem('mark', 'left before sign-out')")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()
    assert page.evaluate("localStorage.getItem('mark')") is None
    store = module("local-store.mjs")
    eventually(page, f"async () => (await ({store}).getMeta('token')) ?? null", None)
    eventually(page, f"async () => (await ({store}).openStore()).count('records')", 0)
