"""Scoring ONS4, SWEMWBS and UCLA-3 by the published rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pwa.measures import (
    MEASURES,
    ONS4_BANDS,
    HelpThresholds,
    MeasureError,
    help_reasons,
    measures_data,
    needs_a_look,
    ons4_band,
    score,
    score_all,
)

# Stewart-Brown et al. (2009) SWEMWBS raw-to-metric conversion, as Warwick publishes it.
PUBLISHED_SWEMWBS = {
    7: 7.00,
    8: 9.51,
    9: 11.25,
    10: 12.40,
    11: 13.33,
    12: 14.08,
    13: 14.75,
    14: 15.32,
    15: 15.84,
    16: 16.36,
    17: 16.88,
    18: 17.43,
    19: 17.98,
    20: 18.59,
    21: 19.25,
    22: 19.98,
    23: 20.73,
    24: 21.54,
    25: 22.35,
    26: 23.21,
    27: 24.11,
    28: 25.03,
    29: 26.02,
    30: 27.03,
    31: 28.13,
    32: 29.31,
    33: 30.70,
    34: 32.55,
    35: 35.00,
}

SWEMWBS_ITEMS = MEASURES["swemwbs"].item_keys
ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


def swemwbs_answers_totalling(raw: int) -> dict[str, int]:
    """Spread a raw total over the seven items, each 1-5."""
    answers = dict.fromkeys(SWEMWBS_ITEMS, 1)
    extra = raw - 7
    for key in SWEMWBS_ITEMS:
        step = min(4, extra)
        answers[key] += step
        extra -= step
    return answers


@pytest.mark.parametrize(("raw", "metric"), sorted(PUBLISHED_SWEMWBS.items()))
def test_swemwbs_converts_every_raw_score_by_the_published_table(raw: int, metric: float) -> None:
    assert score("swemwbs", swemwbs_answers_totalling(raw)) == {"raw": raw, "metric": metric}


def test_swemwbs_example_from_the_design() -> None:
    answers = {
        "optimistic": 3,
        "useful": 3,
        "relaxed": 3,
        "dealing_with_problems": 4,
        "thinking_clearly": 4,
        "close_to_others": 3,
        "own_mind": 3,
    }
    assert score("swemwbs", answers) == {"raw": 23, "metric": 20.73}


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "low"),
        (4, "low"),
        (5, "medium"),
        (6, "medium"),
        (7, "high"),
        (8, "high"),
        (9, "very_high"),
        (10, "very_high"),
    ],
)
@pytest.mark.parametrize("item", ["life_satisfaction", "worthwhile", "happiness"])
def test_ons4_positive_items_band_at_the_ons_thresholds(item: str, value: int, band: str) -> None:
    answers = dict.fromkeys(ONS4_ITEMS, 5) | {item: value}
    assert score("ons4", answers)[item] == {"value": value, "band": band}


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "very_low"),
        (1, "very_low"),
        (2, "low"),
        (3, "low"),
        (4, "medium"),
        (5, "medium"),
        (6, "high"),
        (10, "high"),
    ],
)
def test_ons4_anxiety_bands_at_the_ons_thresholds(value: int, band: str) -> None:
    answers = dict.fromkeys(ONS4_ITEMS, 5) | {"anxiety": value}
    assert score("ons4", answers)["anxiety"] == {"value": value, "band": band}


def test_ons4_reports_each_item_on_its_own() -> None:
    result = score("ons4", {"life_satisfaction": 6, "worthwhile": 9, "happiness": 2, "anxiety": 3})
    assert result == {
        "life_satisfaction": {"value": 6, "band": "medium"},
        "worthwhile": {"value": 9, "band": "very_high"},
        "happiness": {"value": 2, "band": "low"},
        "anxiety": {"value": 3, "band": "low"},
    }


@pytest.mark.parametrize(
    ("answers", "total", "lonely"),
    [((1, 1, 1), 3, False), ((2, 2, 1), 5, False), ((2, 2, 2), 6, True), ((3, 3, 3), 9, True)],
)
def test_ucla3_counts_six_or_more_as_lonely(
    answers: tuple[int, ...], total: int, lonely: bool
) -> None:
    keys = ("companionship", "left_out", "isolated")
    assert score("ucla3", dict(zip(keys, answers, strict=True))) == {
        "total": total,
        "lonely": lonely,
    }


VALID = {
    "ons4": dict.fromkeys(ONS4_ITEMS, 5),
    "swemwbs": dict.fromkeys(SWEMWBS_ITEMS, 3),
    "ucla3": {"companionship": 2, "left_out": 2, "isolated": 2},
}


def bad_cases() -> list[Any]:
    cases = []
    for measure, answers in VALID.items():
        first = next(iter(answers))
        low, high = MEASURES[measure].low, MEASURES[measure].high
        cases += [
            pytest.param(
                measure,
                {k: v for k, v in answers.items() if k != first},
                first,
                id=f"{measure}-missing",
            ),
            pytest.param(measure, answers | {first: high + 1}, first, id=f"{measure}-too-high"),
            pytest.param(measure, answers | {first: low - 1}, first, id=f"{measure}-too-low"),
            pytest.param(measure, answers | {first: True}, first, id=f"{measure}-bool"),
            pytest.param(measure, answers | {first: "3"}, first, id=f"{measure}-string"),
            pytest.param(measure, answers | {first: 2.0}, first, id=f"{measure}-float"),
            pytest.param(measure, answers | {first: None}, first, id=f"{measure}-null"),
            pytest.param(measure, answers | {"mood": 3}, "mood", id=f"{measure}-unknown-key"),
        ]
    return cases


@pytest.mark.parametrize(("measure", "answers", "item"), bad_cases())
def test_invalid_answers_raise_naming_the_item(measure: str, answers: dict, item: str) -> None:
    with pytest.raises(MeasureError) as raised:
        score(measure, answers)
    assert raised.value.item == item
    assert item in str(raised.value)


def test_measure_error_is_a_value_error() -> None:
    assert issubclass(MeasureError, ValueError)


def test_unknown_measure_is_refused() -> None:
    with pytest.raises(MeasureError, match="no measure called 'phq9'"):
        score("phq9", {})


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(MeasureError):
        score("ucla3", [2, 2, 2])  # type: ignore[arg-type]


def test_a_check_in_scores_every_measure_it_holds() -> None:
    assert set(score_all({"ucla3": VALID["ucla3"], "ons4": VALID["ons4"]})) == {"ucla3", "ons4"}


def test_a_check_in_needs_at_least_one_measure() -> None:
    with pytest.raises(MeasureError):
        score_all({})


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"ons4": {"life_satisfaction": {"value": 4, "band": "low"}}}, True),
        ({"ons4": {"life_satisfaction": {"value": 5, "band": "medium"}}}, False),
        ({"ons4": {"happiness": {"value": 4, "band": "low"}}}, True),
        ({"ons4": {"worthwhile": {"value": 0, "band": "low"}}}, False),  # not one of the two
        ({"ons4": {"anxiety": {"value": 6, "band": "high"}}}, True),
        ({"ons4": {"anxiety": {"value": 5, "band": "medium"}}}, False),
        ({"swemwbs": {"raw": 19, "metric": 17.98}}, True),
        ({"swemwbs": {"raw": 20, "metric": 18.59}}, False),
        ({"ucla3": {"total": 6, "lonely": True}}, True),
        ({"ucla3": {"total": 5, "lonely": False}}, False),
        ({}, False),
    ],
)
def test_a_check_in_needs_a_look_on_any_one_warning_sign(
    scores: dict[str, Any], expected: bool
) -> None:
    assert needs_a_look(scores) is expected


def test_the_swemwbs_threshold_is_exclusive_and_can_be_moved() -> None:
    assert not needs_a_look({"swemwbs": {"metric": 18.0}}, HelpThresholds(swemwbs_below=18.0))
    assert needs_a_look({"swemwbs": {"metric": 19.25}}, HelpThresholds(swemwbs_below=20.0))


def test_help_reasons_name_every_threshold_crossed_at_its_edges() -> None:
    """Every edge, scored as the server scores it: one in, one out."""
    worst = score_all({
        "ons4": {"life_satisfaction": 4, "worthwhile": 4, "happiness": 4, "anxiety": 6},
        "swemwbs": {**dict.fromkeys(MEASURES["swemwbs"].item_keys, 2), "optimistic": 5},  # 17
        "ucla3": {"companionship": 2, "left_out": 2, "isolated": 2},
    })  # fmt: skip
    assert help_reasons(worst) == ("life_satisfaction", "happiness", "anxiety", "swemwbs", "ucla3")
    best = score_all({
        "ons4": {"life_satisfaction": 5, "worthwhile": 0, "happiness": 5, "anxiety": 5},
        "swemwbs": {**dict.fromkeys(MEASURES["swemwbs"].item_keys, 3), "optimistic": 2},  # 20
        "ucla3": {"companionship": 1, "left_out": 2, "isolated": 2},
    })  # fmt: skip
    assert help_reasons(best) == ()


def test_a_practice_sets_its_own_thresholds_by_name() -> None:
    mine = HelpThresholds.from_config(
        {"HELP_THRESHOLDS": {"anxiety_high_from": 8, "ons4_low_items": ["worthwhile"]}}
    )
    assert mine.anxiety_high_from == 8 and mine.ons4_low_items == ("worthwhile",)
    assert help_reasons({"ons4": {"anxiety": {"value": 7}, "worthwhile": {"value": 3}}}, mine) == (
        "worthwhile",
    )
    assert HelpThresholds.from_config({"SWEMWBS_ALERT_BELOW": 20.5}).swemwbs_below == 20.5
    with pytest.raises(ValueError, match="anxiety_high"):
        HelpThresholds.from_config({"HELP_THRESHOLDS": {"anxiety_high": 7}})


def test_the_served_rules_are_plain_json_and_score_as_the_server_does() -> None:
    served = json.loads(json.dumps(measures_data()))
    assert list(served["measures"]) == ["ons4", "swemwbs", "ucla3"]
    swemwbs = served["measures"]["swemwbs"]
    assert [item["key"] for item in swemwbs["items"]] == list(SWEMWBS_ITEMS)
    assert (swemwbs["low"], swemwbs["high"]) == (1, 5)
    assert swemwbs["answer_labels"][0] == {"value": 1, "label": "None of the time"}
    assert {row["raw"]: row["metric"] for row in served["swemwbs_metric"]} == PUBLISHED_SWEMWBS
    assert served["ucla3_lonely_from"] == 6
    for item in ONS4_ITEMS:
        for value in range(11):
            band = next(
                b["band"] for b in served["ons4_bands"][item] if b["from"] <= value <= b["to"]
            )
            assert band == ons4_band(item, value)


@pytest.mark.parametrize("item", ONS4_ITEMS)
def test_every_ons4_answer_falls_in_exactly_one_band(item: str) -> None:
    covered = [v for _, low, high in ONS4_BANDS[item] for v in range(low, high + 1)]
    assert covered == list(MEASURES["ons4"].answers)


def test_the_bands_come_from_the_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    moved = {**ONS4_BANDS, "happiness": (("low", 0, 5), ("high", 6, 10))}
    monkeypatch.setattr("pwa.measures.ONS4_BANDS", moved)
    assert ons4_band("happiness", 5) == "low"
    assert measures_data()["ons4_bands"]["happiness"][1] == {"band": "high", "from": 6, "to": 10}
