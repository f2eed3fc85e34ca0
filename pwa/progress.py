"""Summarise how a patient's scores have moved since their first check-in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .measures import ONS4


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


# (key, label, measure, how to read the value from that measure's scores, higher is better)
TRACKED: tuple[tuple[str, str, str, str, bool], ...] = (
    *(
        (f"ons4.{item.key}", label, "ons4", item.key, item.key != "anxiety")
        for item, label in zip(
            ONS4.items,
            ("Life satisfaction (0-10)", "Worthwhile (0-10)", "Happiness (0-10)", "Anxiety (0-10)"),
            strict=True,
        )
    ),
    ("swemwbs.metric", "SWEMWBS wellbeing (7-35)", "swemwbs", "metric", True),
    ("ucla3.total", "UCLA-3 loneliness (3-9)", "ucla3", "total", False),
)


def score_value(scores: dict[str, dict[str, Any]], measure: str, field: str) -> float | None:
    """Return one number from a check-in's scores, or None if the measure was not taken."""
    result = scores.get(measure)
    if result is None:
        return None
    value = result[field]
    return value["value"] if isinstance(value, dict) else value


def outcomes(check_ins: Iterable[Scored]) -> list[Outcome]:
    """Return first-versus-latest for each tracked score, oldest check-in first in the input."""
    ordered = list(check_ins)
    found: list[Outcome] = []
    for key, label, measure, field, higher_is_better in TRACKED:
        values = [v for c in ordered if (v := score_value(c.scores, measure, field)) is not None]
        if values:
            found.append(Outcome(key, label, values[0], values[-1], higher_is_better, len(values)))
    return found
