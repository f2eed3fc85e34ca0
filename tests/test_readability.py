"""The patient pages' words, held to a reading age an average 9-year-old can manage.

Measured with textstat's Flesch-Kincaid grade on the text a patient reads in each page's main
content (not the published questions of the wellbeing measures, whose wording we may not
change, and not the numbers in tables). A US grade of 4 is a reading age of about 9 to 10
(grade + 5); the figure for each page is printed, so a change that makes one harder shows.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import textstat
from flask import Flask
from flask.testing import FlaskClient

from pwa import access_links
from pwa.extensions import db
from pwa.measures import MEASURES
from pwa.models import Patient, User, utcnow

from .conftest import (
    make_asset,
    make_check_in,
    make_follow_up,
    make_referral,
    sign_in,
)

GRADE_AT_MOST = 4.0
# The published questions, answers and introductions, as the instruments' authors wrote them.
INSTRUMENT_WORDS = {
    text
    for measure in MEASURES.values()
    for text in (measure.title, measure.intro, *(i.question for i in measure.items),
                 *measure.answer_labels.values())
}  # fmt: skip
SKIPPED = ("script", "style", "template", "svg", "table", "header", "footer")


class MainText(HTMLParser):
    """The sentences of a page's <main>: each block (a paragraph, a heading, a list item, a
    label, a button) is one, as a reader takes it, whether or not it ends with a full stop."""

    VOID = frozenset({"br", "hr", "img", "input", "link", "meta", "source", "wbr", "path"})
    BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "dt", "dd", "label", "legend",
                        "button", "summary", "div", "a", "td", "th", "caption"})  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.open: list[bool] = []  # per open element: whether its text is unread
        self.in_main = 0
        self.runs: list[str] = []
        self.block: list[str] = []

    def _end_block(self) -> None:
        text = " ".join(" ".join(self.block).split())
        self.block = []
        if re.search(r"[A-Za-z]{2}", text) and text not in INSTRUMENT_WORDS:
            self.runs.append(text if text[-1] in ".?!:" else f"{text}.")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_main += tag == "main"
        if tag in self.BLOCKS and tag != "a":
            self._end_block()
        if tag in self.VOID:
            return
        found = dict(attrs)
        unread = (
            tag in SKIPPED
            or "hidden" in found
            or ("nhsuk-u-visually-hidden" in (found.get("class") or "").split())
        )
        self.open.append(unread or bool(self.open and self.open[-1]))

    def handle_endtag(self, tag: str) -> None:
        self.in_main -= tag == "main"
        if tag not in self.VOID and self.open:
            self.open.pop()
        if tag in self.BLOCKS and tag != "a":
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not (self.open and self.open[-1]) and self.in_main:
            self.block.append(data)


def grade(html: str) -> tuple[float, str]:
    parser = MainText()
    parser.feed(html)
    text = " ".join(parser.runs)
    return textstat.flesch_kincaid_grade(text), text


@pytest.fixture
def patricia(patient: Patient, worker: User) -> Patient:
    """A patient with a history: check-ins, a contact coming up, a group."""
    for days, ucla in ((30, 3), (10, 2)):
        make_check_in(patient, worker, captured_at=utcnow() - timedelta(days=days),
                      measures={"ucla3": dict.fromkeys(("companionship", "left_out", "isolated"),
                                                       ucla)})  # fmt: skip
    make_follow_up(patient, kind="call", due_at=utcnow() + timedelta(days=3))
    make_referral(patient, make_asset(name="Knit and Natter"), worker)
    return patient


def test_the_patient_pages_read_at_a_nine_year_olds_level(
    app: Flask, client: FlaskClient, patient_user: User, patricia: Patient, worker: User
) -> None:
    _, code = access_links.invite(
        db.session.get(Patient, patricia.id) or patricia, worker
    )  # a second invitation: its page is one a patient reads before they have an account
    db.session.commit()
    anyone = app.test_client()
    pages = {
        "/help": anyone.get("/help"),
        "/about-link-workers": anyone.get("/about-link-workers"),
        "/join": anyone.get("/join"),
        "/set-password/<code>": anyone.get(f"/set-password/{code}"),
    }
    sign_in(client, patient_user)
    for path in ("/my-progress", "/my-progress/check-in", "/account/password", "/settings"):
        pages[path] = client.get(path)
    failures = []
    for path, response in pages.items():
        assert response.status_code == 200, path
        measured, text = grade(response.get_data(as_text=True))
        print(f"{path}: Flesch-Kincaid grade {measured:.1f} (reading age about {measured + 5:.0f})")
        if measured > GRADE_AT_MOST:
            failures.append(f"{path} reads at grade {measured:.1f}: {text[:400]}")
    assert not failures, "\n".join(failures)
