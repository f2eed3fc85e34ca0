"""Finding someone on a caseload: the same search, filters and sort online (pwa/caseload_filter.py)
and offline (static/js/caseload-filter.mjs), and the offline card showing what the online one
shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.caseload_filter import CaseloadFilter, due_state, keeps, text_matches
from pwa.extensions import db
from pwa.models import Patient, User, utcnow

from .conftest import make_check_in, make_follow_up, make_patient, sign_in
from .test_browser import accessibility_violations
from .test_browser import pytestmark as browser_marks
from .test_browser_offline import STORE, eventually, sign_in_and_sync

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TEXT_CASES = [
    ("", "Margaret O'Brien", None, True),
    ("marg", "Margaret O'Brien", None, True),
    ("MAR ob", "Margaret O'Brien", None, True),
    ("o'b", "Margaret O'Brien", None, True),
    ("obrien", "Margaret O'Brien", None, True),
    ("'", "Margaret O'Brien", None, True),  # nothing left to look for
    ("smithjones", "Al Smith-Jones", None, True),
    ("mar xyz", "Margaret O'Brien", None, False),
    ("943 476", "Margaret O'Brien", "9434765919", True),
    ("5919", "Margaret O'Brien", "9434765919", True),
    ("12", "Margaret O'Brien", "9434765919", False),  # too few digits to mean anything
    ("1234", "Margaret O'Brien", None, False),
    ("4765918", "Margaret O'Brien", "9434765919", False),
    ("dev 1", "Dev Patel", "9434765919", False),  # words and digits: a name search
    ("  dev  ", "Dev Patel", None, True),
]
DUE_CASES = [
    (None, "none"),
    ((NOW - timedelta(minutes=1)).isoformat(), "overdue"),
    (NOW.isoformat(), "week"),
    ((NOW + timedelta(days=6, hours=23)).isoformat(), "week"),
    ((NOW + timedelta(days=7)).isoformat(), "later"),
]


@pytest.mark.parametrize(("typed", "name", "nhs", "found"), TEXT_CASES)
def test_the_search_finds_names_and_nhs_numbers(
    typed: str, name: str, nhs: str | None, found: bool
) -> None:
    assert text_matches(typed, name, nhs) is found


@pytest.mark.parametrize(("due", "state"), DUE_CASES)
def test_when_the_next_contact_is_due(due: str | None, state: str) -> None:
    assert due_state(datetime.fromisoformat(due) if due else None, NOW) == state


def test_filters_combine_and_unknown_ones_are_ignored() -> None:
    chosen = CaseloadFilter.read({"q": "mar", "need": "debt", "due": "overdue", "order": "next"})
    patient = {"full_name": "Margaret O'Brien", "nhs_number": None, "needs": ["debt"]}
    assert keeps(chosen, **patient, next_due=NOW - timedelta(days=1), now=NOW)
    assert not keeps(chosen, **patient, next_due=NOW + timedelta(days=1), now=NOW)
    assert not keeps(chosen, **(patient | {"needs": ["housing"]}), next_due=None, now=NOW)
    odd = CaseloadFilter.read({"need": "<b>", "due": "soon", "order": "age", "q": "x" * 500})
    assert (odd.need, odd.due, odd.order, len(odd.text)) == ("", "", "name", 100)


def test_the_caseload_page_searches_filters_and_sorts(client: FlaskClient, worker: User) -> None:
    ada = make_patient(worker, given_name="Ada", family_name="Lake", nhs_number="9434765919",
                       needs=["debt"])  # fmt: skip
    bea = make_patient(worker, given_name="Bea", family_name="Moss", needs=["loneliness"])
    make_patient(worker, given_name="Cy", family_name="Nash", needs=["loneliness"])
    make_follow_up(ada, due_at=utcnow() + timedelta(days=3))
    make_follow_up(bea, due_at=utcnow() - timedelta(days=1))
    sign_in(client, worker)

    def names(**args: str) -> list[str]:
        page = client.get("/caseload", query_string=args).get_data(as_text=True)
        return [n for n in ("Ada Lake", "Bea Moss", "Cy Nash") if f">{n}</a>" in page]

    assert names() == ["Ada Lake", "Bea Moss", "Cy Nash"]
    assert names(q="moss") == ["Bea Moss"]
    assert names(q="943 476 5919") == ["Ada Lake"]
    assert names(need="loneliness") == ["Bea Moss", "Cy Nash"]
    assert names(due="overdue") == ["Bea Moss"]
    assert names(due="week") == ["Ada Lake"]
    page = client.get("/caseload", query_string={"order": "next"}).get_data(as_text=True)
    assert page.index("Bea Moss") < page.index("Ada Lake") < page.index("Cy Nash")
    found = client.get("/caseload", query_string={"q": "zzz"}).get_data(as_text=True)
    assert "No active patients match" in found and "Show everyone" in found
    assert "1 of 3 active patients" in client.get("/caseload?q=ada").get_data(as_text=True)


def browser_test(test: Any) -> Any:
    for mark in browser_marks:
        test = mark(test)
    return test


@browser_test
def test_the_phone_applies_the_same_rules(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/offline")
    found = page.evaluate(
        """async ([texts, dues, now]) => {
          const base = document.querySelector('meta[name=app-static]').content;
          const rules = await import(base + 'js/caseload-filter.mjs');
          const junk = new URLSearchParams("need=constructor&due=toString&order=__proto__");
          const choices = { needs: { debt: "Debt" }, dueChoices: { overdue: "Overdue" },
                            orderChoices: { name: "Name" } };
          return [texts.map(([typed, name, nhs]) => rules.textMatches(typed, name, nhs)),
                  dues.map((due) => rules.dueState(due, new Date(now))),
                  rules.readFilter(junk, choices)];
        }""",
        [[c[:3] for c in TEXT_CASES], [d for d, _ in DUE_CASES], NOW.isoformat()],
    )
    assert found == [[c[3] for c in TEXT_CASES], [s for _, s in DUE_CASES],
                     {"text": "", "need": "", "due": "", "order": "name"}]  # fmt: skip


@browser_test
def test_offline_the_caseload_searches_as_you_type_and_cards_match_online(
    live_server: str, page: Any, context: Any
) -> None:
    margaret = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    amara = margaret.link_worker
    make_follow_up(margaret, kind="call", due_at=utcnow() - timedelta(hours=3))
    make_check_in(margaret, amara)
    db.session.commit()
    sign_in_and_sync(page, live_server)
    online = page.locator("li.nhsuk-card", has_text="Margaret O'Brien").inner_text()
    context.set_offline(True)
    page.reload()
    page.get_by_text("You are offline").wait_for()
    offline = page.locator("li.nhsuk-card", has_text="Margaret O'Brien").inner_text()
    assert offline == online and "Overdue" in offline and "SWEMWBS" in offline
    page.get_by_label("Find by name or NHS number").fill("marg o")
    page.get_by_text("1 of 6 active patients").wait_for()
    assert page.locator("li.nhsuk-card").count() == 1
    assert accessibility_violations(page) == []
    page.get_by_label("Find by name or NHS number").fill("")
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Next contact").select_option("overdue")
    page.get_by_text("of 6 active patients").wait_for()
    assert page.locator("li.nhsuk-card", has_text="Margaret O'Brien").count() == 1
    assert "due=overdue" in page.url  # kept for a reload, as the online form's address does


@browser_test
def test_the_phone_writes_dates_as_the_server_does_in_the_practices_zone(
    live_server: str, page: Any, app: Any
) -> None:
    from pwa.filters import format_date, format_datetime

    moments = ["2026-10-02T12:00:00+00:00", "2026-11-28T00:30:00+00:00", "2026-03-29T00:59:00Z"]
    page.goto(f"{live_server}/offline")
    phone = page.evaluate(
        """async (moments) => {
          const base = document.querySelector('meta[name=app-static]').content;
          const dom = await import(base + 'js/dom.mjs');
          dom.usePracticeTimeZone('Europe/London');
          return [moments.map((m) => dom.formatDate(m, { time: true })),
                  dom.formatDate('1950-05-17'), dom.formatNhsNumber('9434765919')];
        }""",
        moments,
    )
    with app.test_request_context():
        server = [format_datetime(datetime.fromisoformat(m)) for m in moments]
        born = format_date(datetime(1950, 5, 17).date())
    assert phone == [server, born, "943 476 5919"]
    assert server[0] == "2 October 2026 at 1:00pm"  # British Summer Time, whatever the phone's


@browser_test
def test_online_the_caseload_searches_as_you_type(live_server: str, page: Any) -> None:
    sign_in_and_sync(page, live_server)
    everyone = page.locator("li.nhsuk-card").count()
    page.get_by_label("Find by name or NHS number").press_sequentially("marg o", delay=30)
    page.get_by_text(f"1 of {everyone} active patients").first.wait_for()  # no "Show" pressed
    assert page.locator("li.nhsuk-card").count() == 1
    assert "q=marg+o" in page.url  # kept for a reload or the back button
    assert page.get_by_role("status").filter(has_text="active patients").inner_text() == (
        f"1 of {everyone} active patients"
    )
    page.get_by_label("Find by name or NHS number").fill("")
    page.wait_for_function(
        "(n) => document.querySelectorAll('li.nhsuk-card').length === n", arg=everyone
    )
    assert accessibility_violations(page) == []


@browser_test
def test_offline_a_check_in_to_look_at_is_tagged_until_someone_has_seen_it(
    live_server: str, page: Any, context: Any
) -> None:
    margaret = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    own = make_check_in(margaret, margaret.link_worker)  # her own, and lonely (UCLA-3 9)
    own.source, own.measures = "self", {"ucla3": {"companionship": 3, "left_out": 3,
                                                  "isolated": 3}}  # fmt: skip
    own.scores = {"ucla3": {"total": 9, "lonely": True}}
    patient_id, check_in_id = margaret.id, own.id
    db.session.commit()
    sign_in_and_sync(page, live_server)
    card = page.locator("li.nhsuk-card", has_text="Margaret O'Brien")
    online = card.inner_text()
    context.set_offline(True)
    page.reload()
    page.get_by_text("You are offline").wait_for()
    assert card.inner_text() == online and "Check-in to look at" in online
    context.set_offline(False)
    page.goto(f"{live_server}/patients/{patient_id}/check-ins/{check_in_id}")
    page.get_by_role("button", name="Mark as seen").click()
    page.get_by_text("marked as seen").first.wait_for()
    page.goto(f"{live_server}/caseload")  # online: syncs, and learns it has been seen
    seen = f"async () => (await ({STORE}).getRecord('{check_in_id}'))?.data.seen === true"
    eventually(page, seen)
    context.set_offline(True)
    page.reload()
    page.get_by_text("You are offline").wait_for()
    assert "Check-in to look at" not in card.inner_text()
