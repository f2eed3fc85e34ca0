"""The phone scores and charts check-ins as the server does, in real Chromium.

The phone scores what it saved offline with static/js/measures.mjs and draws charts with
static/js/progress-chart.mjs, from the rules the app shell carries. These tests run those
modules in the page and hold them to pwa.measures and pwa.charts on every answer that matters.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from pwa.charts import chart_points
from pwa.measures import MEASURES, MeasureError, score

from .test_browser import (
    accessibility_violations,
    no_sideways_scroll,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import (
    OUTBOX_SIZE,
    eventually,
    save_check_in_offline,
    sign_in_and_sync,
)
from .test_measures import ONS4_ITEMS, swemwbs_answers_totalling
from .test_my_progress import JARGON

MODULES = """async (cases) => {
  const base = document.querySelector('meta[name=app-static]').content;
  const measures = await import(base + 'js/measures.mjs');
  const rules = measures.servedRules();
  return cases.map(([measure, answers]) => {
    try { return measures.score(measure, answers, rules); }
    catch (error) { return { error: error.name, item: error.item }; }
  });
}"""

# Each tracked score's heading, line, numbers and words, as the page shows them.
CHARTS = """() => Object.fromEntries([...document.querySelectorAll('.app-progress')].map((s) => [
  s.querySelector('h3').textContent,
  { points: s.querySelector('polyline').getAttribute('points'),
    values: [...s.querySelectorAll('td:nth-child(2)')].map((td) => td.textContent),
    trend: s.querySelector('.app-trend').textContent.trim() }]))"""


def ucla3_answers_totalling(total: int) -> dict[str, int]:
    first = min(3, total - 2)
    second = min(3, total - first - 1)
    return {"companionship": first, "left_out": second, "isolated": total - first - second}


def server_answer(measure: str, answers: dict[str, Any]) -> dict[str, Any]:
    try:
        return score(measure, answers)
    except MeasureError as error:
        return {"error": "MeasureError", "item": error.item}


def test_the_phone_scores_every_answer_that_matters_as_the_server_does(
    live_server: str, page: Any
) -> None:
    every_raw = [swemwbs_answers_totalling(raw) for raw in range(7, 36)]
    assert [sum(answers.values()) for answers in every_raw] == list(range(7, 36))
    cases: list[tuple[str, dict[str, Any]]] = [
        *(("swemwbs", answers) for answers in every_raw),
        *(
            ("ons4", dict.fromkeys(ONS4_ITEMS, 5) | {item: value})
            for item in ONS4_ITEMS
            for value in range(11)
        ),
        *(("ucla3", ucla3_answers_totalling(total)) for total in range(3, 10)),
        # and what neither may score
        ("ons4", dict.fromkeys(ONS4_ITEMS, 5) | {"anxiety": 11}),
        ("ucla3", {"companionship": 1, "left_out": 1}),
        ("ucla3", {"companionship": 1, "left_out": 1, "isolated": True}),
        ("swemwbs", dict.fromkeys(MEASURES["swemwbs"].item_keys, 3) | {"extra": 3}),
        ("phq9", {}),
    ]
    page.goto(f"{live_server}/offline")  # the shell, with the rules it carries
    phone = page.evaluate(MODULES, cases)
    server = [server_answer(measure, answers) for measure, answers in cases]
    assert phone == server
    assert phone[0] == {"raw": 7, "metric": 7.0}
    assert phone[-5] == {"error": "MeasureError", "item": "anxiety"}  # refused by both alike


def test_the_phone_puts_chart_points_where_the_server_does_whatever_the_dates(
    live_server: str, page: Any
) -> None:
    far_east, far_west = timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))
    series: list[tuple[list[tuple[date | datetime, float]], int, int]] = [
        ([(date(2026, 3, 3), 5)], 0, 10),
        ([(date(2026, 1, 1), 0), (date(2026, 1, 2), 0), (date(2026, 1, 17), 10)], 0, 10),
        (
            [
                (datetime(2026, 1, 1, 9, 30, 15, 250_000, tzinfo=UTC), 20.73),
                (datetime(2026, 1, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))), 35.0),
                (datetime(2026, 5, 9, 17, 1, 59, tzinfo=UTC), 9.51),
            ],
            7,
            35,
        ),
        (
            [
                (datetime(1, 1, 1, tzinfo=far_east), 9),
                (datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC), 3),
                (datetime(9999, 12, 31, 23, 59, 59, tzinfo=far_west), 6),
            ],
            3,
            9,
        ),
        ([(date(2026, 1, d), v) for d, v in ((1, 4), (3, 4), (9, 4), (30, 4))], 0, 10),
        ([(date(2026, 1, 1), 12), (date(2026, 1, 2), -1)], 0, 10),
    ]
    page.goto(f"{live_server}/offline")
    phone = page.evaluate(
        """async (series) => {
          const base = document.querySelector('meta[name=app-static]').content;
          const chart = await import(base + 'js/progress-chart.mjs');
          return series.map(([points, low, high]) => chart.chartPoints(points, low, high));
        }""",
        [
            [[[when.isoformat(), value] for when, value in points], low, high]
            for points, low, high in series
        ],
    )
    server = [[list(p) for p in chart_points(points, low, high)] for points, low, high in series]
    assert phone == server


def test_a_patients_charts_are_the_same_online_and_offline(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server, "pat", home="My progress")
    online = page.evaluate(CHARTS)
    assert "How lonely you feel" in online and "Your wellbeing" in online
    page.get_by_text("Show the numbers").first.click()  # the table is read as well as the chart
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    context.set_offline(True)
    page.reload()
    page.get_by_text("You are offline").wait_for()
    assert page.evaluate(CHARTS) == online
    shown = page.locator("main").inner_text()
    assert not re.findall(rf"\b({'|'.join(JARGON)}|undefined|null|NaN)\b", shown, re.IGNORECASE)
    page.get_by_text("Show the numbers").first.click()
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)


def test_a_check_in_saved_offline_shows_its_scores_before_it_is_sent(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server, "pat", home="My progress")
    before = page.evaluate(CHARTS)["How lonely you feel"]
    context.set_offline(True)
    page.reload()
    page.get_by_role("link", name="Do a check-in").click()
    page.get_by_role("heading", name="How are you doing?").wait_for()
    page.get_by_text("Feeling lonely").click()
    for question in [
        "How often do you feel that you lack companionship?",
        "How often do you feel left out?",
        "How often do you feel isolated from others?",
    ]:
        page.get_by_role("group", name=question).get_by_label("Hardly ever").check()
    page.get_by_role("button", name="Save check-in").click()
    page.get_by_text("Check-in saved on this phone").wait_for()
    page.get_by_role("heading", name="My progress").wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 1  # not sent: the phone scored it
    offline = page.evaluate(CHARTS)
    lonely = offline["How lonely you feel"]
    assert lonely["values"] == [*before["values"], "3"]
    assert lonely["trend"].startswith("3, ")
    assert page.get_by_text("Waiting to send").count() >= 1
    assert page.get_by_text("scores once it is sent").count() == 0

    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)
    page.goto(f"{live_server}/my-progress")  # the server's own page, with the server's scores
    page.get_by_role("heading", name="My progress").wait_for()
    assert page.evaluate(CHARTS) == offline


def test_a_link_workers_unsent_check_in_shows_its_scores_on_the_record(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in_and_sync(page, live_server)
    save_check_in_offline(page, context, "Scored on the phone")  # UCLA-3: 2, 3 and 3
    page.get_by_role("heading", name="Patricia Walsh").wait_for()
    # The new check-in's line (the demo's own may score the same): its scores, and waiting.
    new_line = page.locator("li", has_text="Waiting to send").filter(has_text="UCLA-3")
    new_line.get_by_text("UCLA-3 8 (lonely)").wait_for()
    assert page.get_by_text("scores once it is sent").count() == 0
