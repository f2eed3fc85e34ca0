"""Signing in, in real Chromium, while the service worker is still installing.

The worker precaches the data-free shell (/offline) as the sign-in page loads. An answer to that
precache that arrives after the sign-in answer must not replace the new session's cookie
(DESIGN.md: "No anonymous response ... may replace a signed-in session cookie"): it did, and the
person landed back on "Sign in" with no message.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pwa.demo import DEMO_PASSWORD

from .conftest import answer_pin_prompts
from .test_browser import pytestmark  # noqa: F401 - the same browser requirement


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # As in production: the sign-in page's CSRF token gives the browser an anonymous session
    # cookie before it signs in, which the precache request then carries.
    return app_config | {"WTF_CSRF_ENABLED": True}


def wait_until(page: Any, condition: Any, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def holder(held: list[tuple[Any, Any]]) -> Any:
    """A route handler that sends the request now, with whatever cookies it carries, and keeps
    the answer in `held` until the test releases it."""

    def hold(route: Any) -> None:
        held.append((route, route.fetch()))

    return hold


def test_a_late_answer_to_the_workers_precache_never_signs_the_person_out(
    live_server: str, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    for attempt in range(3):
        context = browser.new_context(**browser_context_args)
        held: list[tuple[Any, Any]] = []

        context.route("**/offline", holder(held))
        page = context.new_page()
        answer_pin_prompts(page)
        page.goto(f"{live_server}/sign-in")
        wait_until(page, lambda held=held: held, "the service worker to precache /offline")

        page.get_by_label("Username").fill("amara")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Your caseload").wait_for()

        for route, response in held:  # the precache answer arrives after the sign-in answer
            route.fulfill(response=response)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.evaluate(  # the worker has finished installing: its cache holds the shell
            "caches.keys().then(async (names) => Promise.all(names.map(async (name) =>"
            " (await caches.open(name)).match('/offline'))))"
        )
        page.goto(f"{live_server}/caseload")
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == "Your caseload", f"signed out on attempt {attempt + 1}: {heading!r}"
        context.close()
