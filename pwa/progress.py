"""Summarise how a patient's scores have moved: first against latest, and charts over time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup

from .charts import When, format_value, line_chart, seconds_since_epoch
from .measures import ONS4, SWEMWBS, UCLA3, Measure


class Scored(Protocol):
    scores: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """One tracked score: its first and latest values and which way is better."""

    key: str
    label: str
    first: float
    latest: float
    higher_is_better: bool
    count: int

    @property
    def change(self) -> float:
        return round(self.latest - self.first, 2)

    @property
    def direction(self) -> str:
        """Return "better", "worse" or "same" from the patient's point of view."""
        if self.change == 0 or self.count < 2:
            return "same"
        improved = (self.change > 0) == self.higher_is_better
        return "better" if improved else "worse"


@dataclass(frozen=True)
class Tracked:
    """One score followed over time, named for staff and, in plain words, for the patient."""

    key: str
    label: str
    patient_label: str
    measure: str
    field: str
    low: int
    high: int
    higher_is_better: bool

    @property
    def scale(self) -> str:
        """Say the scale and which way is better, as a patient reads it."""
        better = "higher" if self.higher_is_better else "lower"
        return f"{self.low} to {self.high}, {better} is better"

    def for_phone(self) -> dict[str, Any]:
        """Return what the offline pages need to draw this score's chart."""
        return {
            "key": self.key,
            "label": self.patient_label,
            "scale": self.scale,
            "measure": self.measure,
            "field": self.field,
            "low": self.low,
            "high": self.high,
            "higher_is_better": self.higher_is_better,
        }


def _total_range(measure: Measure) -> tuple[int, int]:
    """Return the lowest and highest total of a measure's answers (SWEMWBS's metric too)."""
    return len(measure.items) * measure.low, len(measure.items) * measure.high


# Every tracked score, in the order pages show them. The patient's words are here and nowhere
# else: the server's pages use them, and the phone gets them with its app shell.
TRACKED: tuple[Tracked, ...] = (
    *(
        Tracked(
            f"ons4.{item.key}",
            staff,
            plain,
            "ons4",
            item.key,
            ONS4.low,
            ONS4.high,
            higher_is_better=item.key != "anxiety",
        )
        for item, staff, plain in zip(
            ONS4.items,
            ("Life satisfaction (0-10)", "Worthwhile (0-10)", "Happiness (0-10)", "Anxiety (0-10)"),
            (
                "How satisfied you feel with life",
                "How worthwhile the things you do feel",
                "How happy you felt",
                "How anxious you felt",
            ),
            strict=True,
        )
    ),
    Tracked(
        "swemwbs.metric",
        "SWEMWBS wellbeing (7-35)",
        "Your wellbeing",
        "swemwbs",
        "metric",
        *_total_range(SWEMWBS),
        higher_is_better=True,
    ),
    Tracked(
        "ucla3.total",
        "UCLA-3 loneliness (3-9)",
        "How lonely you feel",
        "ucla3",
        "total",
        *_total_range(UCLA3),
        higher_is_better=False,
    ),
)


def score_value(scores: dict[str, dict[str, Any]], measure: str, field: str) -> float | None:
    """Return one number from a check-in's scores, or None if the measure was not taken."""
    result = scores.get(measure)
    if result is None:
        return None
    value = result[field]
    number: float = value["value"] if isinstance(value, dict) else value
    return number


def tracked_values(scores: dict[str, dict[str, Any]]) -> list[tuple[Tracked, float]]:
    """Return each tracked score one check-in holds, in the order pages show them."""
    found = ((t, score_value(scores, t.measure, t.field)) for t in TRACKED)
    return [(t, value) for t, value in found if value is not None]


def outcomes(check_ins: Iterable[Scored]) -> list[Outcome]:
    """Return first-versus-latest for each tracked score, oldest check-in first in the input."""
    ordered = list(check_ins)
    found: list[Outcome] = []
    for t in TRACKED:
        values = [
            v for c in ordered if (v := score_value(c.scores, t.measure, t.field)) is not None
        ]
        if values:
            first, latest = values[0], values[-1]
            found.append(Outcome(t.key, t.label, first, latest, t.higher_is_better, len(values)))
    return found


class Dated(Scored, Protocol):
    id: Any
    captured_at: datetime


@dataclass(frozen=True)
class ProgressChart:
    """One tracked score over time, as the patient's My progress page shows it."""

    tracked: Tracked
    points: list[tuple[datetime, float]]
    trend: str
    better: bool
    svg: Markup


def trend_words(values: list[float], higher_is_better: bool) -> tuple[str, bool]:
    """Say the latest value against the one before, calmly, and whether that is the better way.

    The phone says the same (static/js/progress-chart.mjs `trendWords`).
    """
    latest = format_value(values[-1])
    if len(values) == 1:
        return f"{latest} at your first check-in.", False
    previous = values[-2]
    if values[-1] == previous:
        return f"{latest}, the same as last time.", False
    higher = values[-1] > previous
    words = "higher" if higher else "lower"
    return f"{latest}, {words} than last time ({format_value(previous)}).", (
        higher == higher_is_better
    )


def progress_charts(
    check_ins: Iterable[Dated], date_label: Callable[[When], str]
) -> list[ProgressChart]:
    """Return a chart for each tracked score the check-ins hold, oldest point first.

    Check-ins at the same second are ordered by id, as the phone orders them, so both draw the
    same line.
    """
    ordered = sorted(check_ins, key=lambda c: (seconds_since_epoch(c.captured_at), str(c.id)))
    charts = []
    for t in TRACKED:
        points = [
            (c.captured_at, v)
            for c in ordered
            if (v := score_value(c.scores, t.measure, t.field)) is not None
        ]
        if not points:
            continue
        values = [value for _, value in points]
        trend, better = trend_words(values, t.higher_is_better)
        first, last = date_label(points[0][0]), date_label(points[-1][0])
        span = f"on {first}" if len(points) == 1 else f"from {first} to {last}"
        count = "1 check-in" if len(points) == 1 else f"{len(points)} check-ins"
        summary = f"{t.patient_label} ({t.scale}), {count} {span}: {trend}"
        svg = line_chart(points, low=t.low, high=t.high, summary=summary, date_label=date_label)
        charts.append(ProgressChart(t, points, trend, better, svg))
    return charts


# What a patient reads about their own care, in their words (the staff pages use the models'
# names). Served to the phone too (views/app_shell.py), so both pages say the same.
PATIENT_FOLLOW_UP_KINDS = {
    "visit": "A visit from your link worker",
    "call": "A phone call from your link worker",
    "self_checkin": "A check-in for you to do in this app",
}
PATIENT_REFERRAL_STATUSES = {
    "suggested": "Your link worker suggested it",
    "referred": "Your link worker has put you in touch",
    "attended": "You have been",
    "declined": "You decided not to go",
}


def coming_up(follow_ups: Iterable[Any], today_starts: datetime) -> list[Any]:
    """A patient's contacts still to come: not done, and due today or later. One due before
    today that nobody marked done is not "coming up" (the phone's page does the same)."""
    return sorted(
        (f for f in follow_ups if f.done_at is None and f.due_at >= today_starts),
        key=lambda f: f.due_at,
    )
