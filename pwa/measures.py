"""Score the wellbeing measures a check-in can hold: ONS4, SWEMWBS and UCLA-3.

Pure functions with no Flask: the server scores every check-in with them, and the phone previews
scores with the same rules. Wording follows the published instruments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class MeasureError(ValueError):
    """An answer set that cannot be scored; `item` names the offending item (or None)."""

    def __init__(self, message: str, item: str | None = None) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class Item:
    key: str
    question: str


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    intro: str
    items: tuple[Item, ...]
    low: int
    high: int
    # Labels for the answer values, lowest first; for 0-10 scales only the ends are labelled.
    answer_labels: Mapping[int, str]
    # What a patient sees as the set's heading: plain words, no instrument name.
    patient_title: str = ""

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    @property
    def answers(self) -> range:
        return range(self.low, self.high + 1)


ONS4 = Measure(
    key="ons4",
    title="ONS personal wellbeing (ONS4)",
    intro=(
        "For each of these questions, answer on a scale of 0 to 10, where 0 is "
        "\u201cnot at all\u201d and 10 is \u201ccompletely\u201d."
    ),
    items=(
        Item("life_satisfaction", "Overall, how satisfied are you with your life nowadays?"),
        Item(
            "worthwhile",
            "Overall, to what extent do you feel that the things you do in your life "
            "are worthwhile?",
        ),
        Item("happiness", "Overall, how happy did you feel yesterday?"),
        Item("anxiety", "On a similar scale, overall, how anxious did you feel yesterday?"),
    ),
    low=0,
    high=10,
    answer_labels={0: "Not at all", 10: "Completely"},
    patient_title="How you feel about your life",
)

SWEMWBS = Measure(
    key="swemwbs",
    title="Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
    intro=(
        "Below are some statements about feelings and thoughts. Choose the answer that best "
        "describes your experience of each over the last 2 weeks."
    ),
    items=(
        Item("optimistic", "I\u2019ve been feeling optimistic about the future"),
        Item("useful", "I\u2019ve been feeling useful"),
        Item("relaxed", "I\u2019ve been feeling relaxed"),
        Item("dealing_with_problems", "I\u2019ve been dealing with problems well"),
        Item("thinking_clearly", "I\u2019ve been thinking clearly"),
        Item("close_to_others", "I\u2019ve been feeling close to other people"),
        Item("own_mind", "I\u2019ve been able to make up my own mind about things"),
    ),
    low=1,
    high=5,
    answer_labels={
        1: "None of the time",
        2: "Rarely",
        3: "Some of the time",
        4: "Often",
        5: "All of the time",
    },
    patient_title="Your thoughts and feelings",
)

UCLA3 = Measure(
    key="ucla3",
    title="Loneliness (UCLA 3-item scale)",
    intro="The next questions are about how you feel about different aspects of your life.",
    items=(
        Item("companionship", "How often do you feel that you lack companionship?"),
        Item("left_out", "How often do you feel left out?"),
        Item("isolated", "How often do you feel isolated from others?"),
    ),
    low=1,
    high=3,
    answer_labels={1: "Hardly ever", 2: "Some of the time", 3: "Often"},
    patient_title="Feeling lonely",
)

MEASURES: dict[str, Measure] = {m.key: m for m in (ONS4, SWEMWBS, UCLA3)}

# Raw SWEMWBS total (7-35) to metric score: the Rasch conversion table published by
# Stewart-Brown et al. (2009) and distributed by Warwick Medical School.
SWEMWBS_METRIC: dict[int, float] = dict(
    zip(
        range(7, 36),
        (
            7.00,
            9.51,
            11.25,
            12.40,
            13.33,
            14.08,
            14.75,
            15.32,
            15.84,
            16.36,
            16.88,
            17.43,
            17.98,
            18.59,
            19.25,
            19.98,
            20.73,
            21.54,
            22.35,
            23.21,
            24.11,
            25.03,
            26.02,
            27.03,
            28.13,
            29.31,
            30.70,
            32.55,
            35.00,
        ),
        strict=True,
    )
)

UCLA3_LONELY_FROM = 6

# The ONS's thresholds for reporting personal wellbeing (ONS, "Personal well-being user guidance"):
# each band's name with its lowest and highest answer, lowest band first. Anxiety runs the other
# way, so its bands are cut at other places. The server and the phone both band from this table.
_POSITIVE_BANDS = (("low", 0, 4), ("medium", 5, 6), ("high", 7, 8), ("very_high", 9, 10))
ONS4_BANDS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "life_satisfaction": _POSITIVE_BANDS,
    "worthwhile": _POSITIVE_BANDS,
    "happiness": _POSITIVE_BANDS,
    "anxiety": (("very_low", 0, 1), ("low", 2, 3), ("medium", 4, 5), ("high", 6, 10)),
}


def _validated(measure: Measure, answers: Mapping[str, Any]) -> dict[str, int]:
    """Return the answers as ints, or raise MeasureError naming the first bad item."""
    if not isinstance(answers, Mapping):
        raise MeasureError(f"{measure.key} answers must be an object of item: answer")
    for key in answers:
        if key not in measure.item_keys:
            raise MeasureError(f"{measure.key} has no item called {key!r}", item=str(key))
    clean: dict[str, int] = {}
    for key in measure.item_keys:
        if key not in answers:
            raise MeasureError(f"{measure.key} is missing an answer for {key}", item=key)
        value = answers[key]
        # bool is a subclass of int, but True is not an answer anyone gave.
        if isinstance(value, bool) or not isinstance(value, int):
            raise MeasureError(f"{measure.key} answer for {key} must be a whole number", item=key)
        if value not in measure.answers:
            raise MeasureError(
                f"{measure.key} answer for {key} must be from {measure.low} to {measure.high}",
                item=key,
            )
        clean[key] = value
    return clean


def ons4_band(item: str, value: int) -> str:
    """Return the ONS threshold band for one ONS4 answer, from ONS4_BANDS."""
    for band, lowest, highest in ONS4_BANDS[item]:
        if lowest <= value <= highest:
            return band
    raise MeasureError(f"ons4 answer for {item} must be from {ONS4.low} to {ONS4.high}", item=item)


def score_ons4(answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Score ONS4: each item is reported on its own with its band."""
    clean = _validated(ONS4, answers)
    return {key: {"value": value, "band": ons4_band(key, value)} for key, value in clean.items()}


def score_swemwbs(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Score SWEMWBS: the raw total and its metric conversion."""
    raw = sum(_validated(SWEMWBS, answers).values())
    return {"raw": raw, "metric": SWEMWBS_METRIC[raw]}


def score_ucla3(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Score UCLA-3: the total, and whether it counts as lonely."""
    total = sum(_validated(UCLA3, answers).values())
    return {"total": total, "lonely": total >= UCLA3_LONELY_FROM}


_SCORERS = {"ons4": score_ons4, "swemwbs": score_swemwbs, "ucla3": score_ucla3}


def score(measure: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Score one measure's complete set of answers."""
    try:
        scorer = _SCORERS[measure]
    except (KeyError, TypeError):
        raise MeasureError(f"there is no measure called {measure!r}") from None
    return scorer(answers)


def score_all(measures: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Score every measure in a check-in; a check-in holds at least one."""
    if not isinstance(measures, Mapping) or not measures:
        raise MeasureError("a check-in needs at least one complete measure")
    return {key: score(key, answers) for key, answers in measures.items()}


# When a check-in's answers mean the person may need help: one place, with the sources. The
# patient then sees the "If you need help" panel (templates/_help_panel.html), the check-in
# waits in their link worker's "Check-ins to look at" (pwa/looks.py), and a push says so
# (pwa/reminders.py). A practice can change any of them (HELP_THRESHOLDS in its config).
#
# - ONS4: the ONS's own thresholds for its personal well-being questions ("Personal well-being
#   in the UK QMI" and the ONS4 user guidance): life satisfaction, worthwhile and happiness
#   0-4 are "low"; anxiety 6-10 is "high". We act on low life satisfaction, low happiness and
#   high anxiety, as the patients' app issue asks (worthwhile alone is not a reason to worry).
# - SWEMWBS: Warwick Medical School's guidance on interpreting SWEMWBS, from Shah N, Cader M,
#   Andrews B, McCabe R, Stewart-Brown SL. "Short Warwick-Edinburgh Mental Well-being Scale
#   (SWEMWBS): performance in a clinical sample in relation to PHQ-9 and GAD-7." Health and
#   Quality of Life Outcomes 2021;19:260 (doi:10.1186/s12955-021-01882-x): metric scores 7-17
#   suggest probable depression (18-20 possible depression). Metric scores have two decimals,
#   so "17 and under" is read as below 18: raw 19 (17.98) is in, raw 20 (18.59) is not.
# - UCLA-3: 6 or more of 9 counts as lonely (UCLA3_LONELY_FROM, DESIGN.md; the cut the ONS and
#   the Campaign to End Loneliness use with Hughes et al., Research on Aging 2004;26:655).
@dataclass(frozen=True)
class HelpThresholds:
    ons4_low_items: tuple[str, ...] = ("life_satisfaction", "happiness")
    ons4_low_at_most: int = 4
    anxiety_high_from: int = 6
    swemwbs_below: float = 18.0
    ucla3_lonely_from: int = UCLA3_LONELY_FROM

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HelpThresholds:
        """The practice's thresholds: HELP_THRESHOLDS overrides any field by name (and the
        older SWEMWBS_ALERT_BELOW setting still sets the SWEMWBS one)."""
        fields: dict[str, Any] = {}
        if "SWEMWBS_ALERT_BELOW" in config:
            fields["swemwbs_below"] = float(config["SWEMWBS_ALERT_BELOW"])
        chosen = dict(config.get("HELP_THRESHOLDS") or {})
        if "ons4_low_items" in chosen:
            chosen["ons4_low_items"] = tuple(chosen["ons4_low_items"])
        unknown = set(chosen) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"HELP_THRESHOLDS has no setting called {sorted(unknown)[0]!r}")
        fields.update(chosen)
        return cls(**fields)

    def as_data(self) -> dict[str, Any]:
        """The thresholds as JSON for the phone, which shows the panel offline by them."""
        return {
            "ons4_low_items": list(self.ons4_low_items),
            "ons4_low_at_most": self.ons4_low_at_most,
            "anxiety_high_from": self.anxiety_high_from,
            "swemwbs_below": self.swemwbs_below,
            "ucla3_lonely_from": self.ucla3_lonely_from,
        }


HELP_REASONS = {
    "life_satisfaction": "low life satisfaction",
    "happiness": "low happiness",
    "anxiety": "high anxiety",
    "swemwbs": "low wellbeing",
    "ucla3": "lonely",
}


def help_reasons(
    scores: Mapping[str, Mapping[str, Any]], thresholds: HelpThresholds = HelpThresholds()
) -> tuple[str, ...]:
    """Name what in a scored check-in crossed a help threshold (keys of HELP_REASONS), in order.

    Reads the values, not the stored bands, so a practice's own thresholds apply to check-ins
    scored before it set them.
    """
    found: list[str] = []
    ons4 = scores.get("ons4") or {}
    for item in thresholds.ons4_low_items:
        value = (ons4.get(item) or {}).get("value")
        if isinstance(value, int) and value <= thresholds.ons4_low_at_most:
            found.append(item)
    anxiety = (ons4.get("anxiety") or {}).get("value")
    if isinstance(anxiety, int) and anxiety >= thresholds.anxiety_high_from:
        found.append("anxiety")
    metric = (scores.get("swemwbs") or {}).get("metric")
    if isinstance(metric, int | float) and metric < thresholds.swemwbs_below:
        found.append("swemwbs")
    total = (scores.get("ucla3") or {}).get("total")
    if isinstance(total, int) and total >= thresholds.ucla3_lonely_from:
        found.append("ucla3")
    return tuple(found)


def measures_data() -> dict[str, Any]:
    """Return the measures and their scoring rules as plain JSON data, for the phone to score with.

    Everything the phone needs to score a check-in as `score_all` does, and nothing about any
    patient: the app shell carries it, so the offline pages score what was saved offline.
    """
    return {
        "measures": {
            measure.key: {
                "key": measure.key,
                "title": measure.title,
                "intro": measure.intro,
                "items": [{"key": item.key, "question": item.question} for item in measure.items],
                "low": measure.low,
                "high": measure.high,
                "answer_labels": [
                    {"value": value, "label": label}
                    for value, label in sorted(measure.answer_labels.items())
                ],
            }
            for measure in MEASURES.values()
        },
        "ons4_bands": {
            item: [{"band": band, "from": lowest, "to": highest} for band, lowest, highest in bands]
            for item, bands in ONS4_BANDS.items()
        },
        "swemwbs_metric": [
            {"raw": raw, "metric": metric} for raw, metric in SWEMWBS_METRIC.items()
        ],
        "ucla3_lonely_from": UCLA3_LONELY_FROM,
    }


def needs_a_look(
    scores: Mapping[str, Mapping[str, Any]], thresholds: HelpThresholds = HelpThresholds()
) -> bool:
    """Say whether a scored check-in crossed any help threshold."""
    return bool(help_reasons(scores, thresholds))
