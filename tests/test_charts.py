"""A score over time drawn as an SVG line chart, whatever the check-ins hold."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from pwa.charts import (
    HEIGHT,
    LEFT,
    PLOT_HEIGHT,
    PLOT_WIDTH,
    TOP,
    chart_points,
    format_value,
    line_chart,
    seconds_since_epoch,
)

SVG = "{http://www.w3.org/2000/svg}"
RIGHT_EDGE, BOTTOM_EDGE = LEFT + PLOT_WIDTH, TOP + PLOT_HEIGHT


def day_label(when: date) -> str:
    return f"{when.day} {when:%b} {when.year}"


def parsed(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(markup)  # noqa: S314 - markup this test made, not untrusted


def drawn(points: list[tuple[date, float]], low: int = 0, high: int = 10) -> ElementTree.Element:
    markup = line_chart(points, low=low, high=high, summary="Summary", date_label=day_label)
    return parsed(str(markup))


def polyline(chart: ElementTree.Element) -> str:
    line = chart.find(f"{SVG}polyline")
    assert line is not None
    return line.get("points", "")


def test_no_points_draw_nothing() -> None:
    assert chart_points([], 0, 10) == []
    assert str(line_chart([], low=0, high=10, summary="x", date_label=day_label)) == ""


def test_one_point_sits_in_the_middle_with_its_date_once() -> None:
    chart = drawn([(date(2026, 3, 3), 5)])
    assert polyline(chart) == f"{LEFT + PLOT_WIDTH // 2},{TOP + PLOT_HEIGHT // 2}"
    dates = [t.text for t in chart.iter(f"{SVG}text") if t.get("y") == str(HEIGHT - 8)]
    assert dates == ["3 Mar 2026"]
    assert len(chart.findall(f"{SVG}circle")) == 1


def test_points_span_the_width_by_time_and_the_height_by_the_scale() -> None:
    points = [(date(2026, 1, 1), 0), (date(2026, 1, 3), 10), (date(2026, 1, 5), 5)]
    assert chart_points(points, 0, 10) == [
        (LEFT, BOTTOM_EDGE),
        (LEFT + PLOT_WIDTH // 2, TOP),
        (RIGHT_EDGE, TOP + PLOT_HEIGHT // 2),
    ]


def test_points_are_placed_in_time_order_whatever_order_they_come_in() -> None:
    points = [(date(2026, 1, 5), 5), (date(2026, 1, 1), 0)]
    assert chart_points(points, 0, 10) == [(LEFT, BOTTOM_EDGE), (RIGHT_EDGE, TOP + 56)]


def test_equal_values_draw_a_level_line() -> None:
    points = [(date(2026, 1, d), 7) for d in (1, 8, 15, 29)]
    assert {y for _, y in chart_points(points, 0, 10)} == {TOP + 34}  # 112 * 3 / 10, rounded


def test_check_ins_at_the_same_moment_share_the_middle() -> None:
    moment = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert [x for x, _ in chart_points([(moment, 1), (moment, 9)], 0, 10)] == [172, 172]


def test_the_earliest_and_latest_dates_a_calendar_has_still_draw() -> None:
    far_east, far_west = timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))
    points = [
        (datetime(1, 1, 1, tzinfo=far_east), 10),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=far_west), 0),
        (date(2026, 1, 1), 5),
    ]
    placed = chart_points(points, 0, 10)
    assert placed[0] == (LEFT, TOP) and placed[-1] == (RIGHT_EDGE, BOTTOM_EDGE)
    assert LEFT < placed[1][0] < RIGHT_EDGE
    assert polyline(drawn(points))  # and the whole drawing is well-formed SVG


def test_a_value_off_the_scale_is_drawn_at_its_edge() -> None:
    points = [(date(2026, 1, 1), 99), (date(2026, 1, 2), -3)]
    assert [y for _, y in chart_points(points, 0, 10)] == [TOP, BOTTOM_EDGE]


def test_a_metric_score_is_placed_by_its_hundredths() -> None:
    # SWEMWBS 20.73 on 7-35: (35 - 20.73) / 28 * 112 = 57.08, so 57 below the top.
    assert chart_points([(date(2026, 1, 1), 20.73)], 7, 35) == [(172, TOP + 57)]


def test_rounding_is_half_up_as_javascript_has_it() -> None:
    # 2 of 11 days across 264 units is exactly 48; 1 of 16 across 264 is 16.5, so 17.
    assert seconds_since_epoch(date(1970, 1, 2)) == 86_400
    points = [(date(2026, 1, 1), 0), (date(2026, 1, 2), 0), (date(2026, 1, 17), 0)]
    assert [x for x, _ in chart_points(points, 0, 10)] == [LEFT, LEFT + 17, RIGHT_EDGE]


def test_a_moment_before_1970_rounds_down_to_its_second() -> None:
    assert seconds_since_epoch(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)) == -1


def test_the_chart_is_an_image_named_for_screen_readers_with_its_text_escaped() -> None:
    markup = str(
        line_chart(
            [(date(2026, 1, 1), 3), (date(2026, 2, 1), 4)],
            low=0,
            high=10,
            summary='Anxiety <"low">',
            date_label=lambda when: "<b>",
        )
    )
    chart = parsed(markup)
    assert chart.get("role") == "img"
    assert chart.get("aria-label") == 'Anxiety <"low">'
    assert chart.findtext(f"{SVG}title") == 'Anxiety <"low">'
    assert "<b>" not in markup and "&lt;b&gt;" in markup
    assert [c.get("r") for c in chart.findall(f"{SVG}circle")] == ["4", "6"]  # latest stands out
    assert re.fullmatch(r"\d+,\d+ \d+,\d+", polyline(chart))


@pytest.mark.parametrize(
    ("value", "shown"), [(7, "7"), (7.0, "7"), (20.73, "20.73"), (9.5, "9.50")]
)
def test_scores_are_shown_as_people_write_them(value: float, shown: str) -> None:
    assert format_value(value) == shown
