"""A patient reads their own progress: a chart per score, in plain words, with the numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask.testing import FlaskClient

from pwa.models import Patient, User

from .conftest import SWEMWBS_ALL_3, make_check_in, sign_in

ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
JARGON = ("SWEMWBS", "ONS4", "ONS", "UCLA", "metric", "raw", "worse", "Rasch")


def ons4(anxiety: int, others: int = 5) -> dict[str, dict[str, int]]:
    return {"ons4": dict.fromkeys(ONS4_ITEMS, others) | {"anxiety": anxiety}}


def my_progress(client: FlaskClient, patient_user: User) -> str:
    sign_in(client, patient_user)
    return client.get("/my-progress").get_data(as_text=True)


def visible_text(page: str) -> str:
    body = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


def test_each_score_has_a_chart_and_a_table_of_the_same_check_ins(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient
) -> None:
    for month, anxiety in ((1, 6), (2, 4), (3, 3)):
        make_check_in(patient, worker, ons4(anxiety), datetime(2026, month, 1, 10, tzinfo=UTC))
    page = my_progress(client, patient_user)
    assert page.count('class="app-chart"') == 4  # one per ONS4 question
    assert '<h3 id="progress-4">How anxious you felt</h3>' in page
    assert "0 to 10, lower is better" in page
    anxiety = page.split("How anxious you felt</h3>", 1)[1].split("</section>", 1)[0]
    # x by time: 1 February is 31 of 59 days along the 264 wide plot (40 + 138.7); y: 6, 4
    # and 3 of 10 are 44.8, 67.2 and 78.4 below the top (16) of a plot 112 high
    assert 'points="40,61 179,83 304,94"' in anxiety
    assert [re.sub(r"<[^>]+>", "", row) for row in re.findall(r"<td>.*?</td>", anxiety)] == [
        "1 January 2026", "6", "1 February 2026", "4", "1 March 2026", "3",
    ]  # fmt: skip
    assert "3, lower than last time (4)." in anxiety
    assert "Better</strong>" in anxiety  # in words, not by colour alone


def test_the_page_speaks_plainly_with_no_instrument_names(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient
) -> None:
    ucla3 = {"companionship": 2, "left_out": 2, "isolated": 2}
    make_check_in(patient, worker, {"swemwbs": SWEMWBS_ALL_3, "ucla3": ucla3},
                  datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    make_check_in(patient, worker, {"swemwbs": SWEMWBS_ALL_3 | {"useful": 2}, "ucla3": ucla3},
                  datetime(2026, 2, 1, tzinfo=UTC))  # fmt: skip
    text = visible_text(my_progress(client, patient_user))
    assert "Your wellbeing" in text and "7 to 35, higher is better" in text
    assert "How lonely you feel" in text and "3 to 9, lower is better" in text
    assert "18.59, lower than last time (19.25)." in text  # calm, and no red "worse"
    assert "6, the same as last time." in text
    assert "18.59 out of 35" in text and "6 out of 9" in text  # the latest check-in
    found = [word for word in JARGON if re.search(rf"\b{word}\b", text, re.IGNORECASE)]
    assert found == []


def test_a_first_check_in_is_one_dot_and_no_check_ins_no_chart(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient
) -> None:
    assert 'class="app-chart"' not in my_progress(client, patient_user)
    make_check_in(patient, worker, {"ucla3": {"companionship": 1, "left_out": 1, "isolated": 2}})
    page = client.get("/my-progress").get_data(as_text=True)
    assert page.count('class="app-chart"') == 1
    assert "4 at your first check-in." in page and "Better</strong>" not in page
