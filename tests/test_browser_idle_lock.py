"""The phone locks itself when nobody uses it, and then shows nothing of anyone (issue 11 (b))."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import TEST_PIN
from .test_browser import accessibility_violations, pytestmark  # noqa: F401 - same browser needs
from .test_browser_sealed import (
    KEYRING,
    RAW_DUMP,
    amaras_patients,
    choose_pin,
    enter_pin,
    sign_in,
    the_page_shows_nothing_of,
)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # A lock quick enough to test; the real default is 5 minutes (pwa/config.py).
    return {**app_config, "PHONE_LOCK_IDLE_SECONDS": 4, "PHONE_LOCK_HIDDEN_SECONDS": 2}


@pytest.mark.manual_pin
def test_the_phone_locks_when_idle_and_shows_nothing_until_the_pin(
    live_server: str, page: Any
) -> None:
    sign_in(page, live_server)
    page.get_by_role("heading", name="Choose a PIN for this phone").wait_for()
    assert page.locator("main").is_hidden()  # the caseload waits behind the PIN
    assert accessibility_violations(page) == []
    choose_pin(page)
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.get_by_text("Everything saved on this phone has been sent").wait_for()
    patients = amaras_patients()
    assert patients[0].family_name in page.evaluate("document.body.innerText")

    # Nobody touches the phone: after the idle time (4 s here) it locks by itself.
    page.get_by_role("heading", name="This phone is locked").wait_for(timeout=15_000)
    the_page_shows_nothing_of(page, patients)
    assert page.evaluate(f"async () => ({KEYRING}).isUnlocked()") is False
    assert '"unlocked"' not in page.evaluate(RAW_DUMP)  # the working keys are gone from storage
    assert accessibility_violations(page) == []
    # Opening any page while locked shows nothing either, online or from the offline shell.
    page.goto(f"{live_server}/caseload")
    page.get_by_role("heading", name="This phone is locked").wait_for()
    the_page_shows_nothing_of(page, patients)
    # The server holds the session's pages back too: their source, with no script to hide them.
    for path in ("/caseload", f"/patients/{patients[0].id}"):
        source = page.request.get(f"{live_server}{path}").text()
        assert patients[0].family_name not in source and "This phone is locked" not in source
        assert 'name="app-session-locked"' in source
    page.goto(f"{live_server}/offline")
    page.get_by_role("heading", name="This phone is locked").wait_for()
    the_page_shows_nothing_of(page, patients)

    page.goto(f"{live_server}/caseload")
    enter_pin(page, TEST_PIN)
    page.get_by_role("heading", name="Your caseload").wait_for()

    assert patients[0].family_name in page.evaluate("document.body.innerText")
