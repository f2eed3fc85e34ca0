"""Locking by hand holds: the tap on "Lock now" is activity too, and its write of the idle lock
must never put the working keys back after the lock took them (a newcomer found the next page
open with no PIN, 3 times in 3, on a phone whose disk was slow enough to interleave them)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import TEST_PIN
from .test_browser import pytestmark  # noqa: F401 - same browser needs
from .test_browser_sealed import (
    KEYRING,
    RAW_DUMP,
    amaras_patients,
    choose_pin,
    enter_pin,
    sign_in,
    the_page_shows_nothing_of,
)

IDLE_SECONDS = 12  # the idle lock's own write then comes at most every 3 s (a quarter)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "PHONE_LOCK_IDLE_SECONDS": IDLE_SECONDS}


@pytest.mark.manual_pin
def test_lock_now_holds_even_when_the_tap_on_it_also_puts_the_idle_lock_back(
    live_server: str, page: Any
) -> None:
    sign_in(page, live_server)
    choose_pin(page)
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.goto(f"{live_server}/settings")
    page.get_by_role("button", name="Lock now").wait_for()
    page.wait_for_timeout(3500)  # past the idle write's throttle
    page.get_by_role("button", name="Lock now").click()
    page.get_by_role("heading", name="This phone is locked").wait_for()
    page.goto(f"{live_server}/caseload")
    page.get_by_role("heading", name="This phone is locked").wait_for()
    the_page_shows_nothing_of(page, amaras_patients())
    assert page.evaluate(f"async () => ({KEYRING}).isUnlocked()") is False
    enter_pin(page, TEST_PIN)
    page.get_by_role("heading", name="Your caseload").wait_for()

    # The same, with the two writes interleaved for certain (a slow disk does it by chance):
    # the activity's write is still reading when the lock deletes the keys.
    page.wait_for_timeout(3500)
    interleaved = page.evaluate(f"""async () => {{
        const keyring = {KEYRING};
        const before = await keyring.isUnlocked();
        const moving = keyring.touch();
        await keyring.lock();
        await moving;
        return [before, await keyring.isUnlocked()];
    }}""")
    assert interleaved == [True, False]
    assert '"unlocked"' not in page.evaluate(RAW_DUMP)
