"""The check-in form on a phone: one measure per section, each within about two screens at
360 px, its score said as the worker answers its last question, online and offline alike."""

from __future__ import annotations

from typing import Any

import pytest

from pwa.extensions import db
from pwa.measures import MEASURES
from pwa.models import Patient

from .test_browser import (
    accessibility_violations,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import sign_in_and_sync

PHONE = {"width": 360, "height": 640}
# "About two screens": a section's questions, intro and answers, at 360 x 640. Measured when
# this was written: ONS4 1.7, SWEMWBS 2.2 (seven questions of five answers), UCLA-3 0.9.
MOST_SCREENS = 2.25

# Each section's height in screens, opened one at a time as a worker would.
SCREENS = """() => [...document.querySelectorAll('form details[data-measure]')].map((d) => {
  for (const other of document.querySelectorAll('form details')) other.open = other === d;
  return [d.dataset.measure, d.querySelector('.nhsuk-details__text').getBoundingClientRect().height
                             / innerHeight];
})"""


def answer_ucla(page: Any, answers: tuple[str, ...]) -> None:
    section = page.locator("details[data-measure=ucla3]")
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    for group, answer in zip(section.get_by_role("group").all(), answers, strict=True):
        group.get_by_label(answer, exact=True).check()


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_each_measure_fits_about_two_screens_and_says_its_score(
    offline: bool, live_server: str, page: Any, context: Any
) -> None:
    patient_id = db.session.scalar(db.select(Patient.id).where(Patient.given_name == "Margaret"))
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in_and_sync(page, live_server)
    if offline:
        context.set_offline(True)
    page.goto(f"{live_server}/patients/{patient_id}/check-ins/new")
    page.get_by_role("heading", name="Record a check-in").wait_for()
    if offline:
        page.get_by_text("You are offline: this is saved on the phone").wait_for()
    screens = dict(page.evaluate(SCREENS))
    assert set(screens) == set(MEASURES)
    assert all(n <= MOST_SCREENS for n in screens.values()), screens
    # Only the first section starts open: one measure at a time.
    page.reload()
    page.get_by_role("heading", name="Record a check-in").wait_for()
    opened = page.locator("form details[data-measure][open]")
    assert [d.get_attribute("data-measure") for d in opened.all()] == ["ons4"]

    score = page.locator("details[data-measure=ucla3] .app-measure__score")
    answer_ucla(page, ("Often", "Some of the time", "Often"))  # 3 + 2 + 3: lonely, by the rules
    page.get_by_text("Score: UCLA-3 8 (lonely)").wait_for()
    assert score.get_attribute("aria-live") == "polite"
    answer_ucla(page, ("Hardly ever", "Hardly ever", "Hardly ever"))
    page.get_by_text("Score: UCLA-3 3").wait_for()
    assert "lonely" not in score.inner_text()
    assert accessibility_violations(page) == []
    # A measure started but not finished says nothing yet.
    page.locator("details[data-measure=swemwbs] summary").click()
    page.locator("details[data-measure=swemwbs]").get_by_role("group").first.get_by_label(
        "Often"
    ).check()
    assert page.locator("details[data-measure=swemwbs] .app-measure__score").inner_text() == ""


def test_a_patients_own_form_does_not_score_as_they_go(live_server: str, page: Any) -> None:
    page.set_viewport_size(PHONE)
    sign_in_and_sync(page, live_server, "pat", home="My progress")
    page.goto(f"{live_server}/my-progress/check-in")
    page.get_by_role("heading", name="How are you doing?").wait_for()
    assert page.locator(".app-measure__score").count() == 0
