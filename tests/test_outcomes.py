"""The outcomes report, on a practice built by hand, with every figure worked out by hand here.

The practice (January to June 2026, Europe/London):

    Ann: P1 added 10 Jan, active, needs loneliness. SWEMWBS all 1s on 15 Jan (raw 7), corrected
         the next day to all 2s (raw 14, metric 15.32); all 4s on 15 May (raw 28, metric 25.03).
         Referred to Knit and Natter 20 Jan, attended 30 Jan (10 days); referred to the
         hostile-named asset, still waiting. Another patient added 5 Jul, after the span.
         P2 added 1 Feb, needs debt, discharged 1 May ("goals met"). UCLA-3 9 on 5 Feb, 5 on 5 Apr
         (-4: better). Referred to Knit and Natter 10 Feb, attended 13 Feb (3 days).
    Ben: P3 added 1 Dec 2025 (before the span), needs loneliness and debt, discharged 1 Mar
         ("moved away"). SWEMWBS raw 35 on 15 Dec (outside the span), raw 21 (19.25) on 20 Jan,
         raw 17 (16.88) on 20 Feb: -2.37, worse but less than the MID of 3. A suggestion only.
         P4 added 10 Mar, needs loneliness: one self check-in (not seen for that), a visit
         done 20 Mar (seen). Declined Knit and Natter.
         P6 added 5 Jan, discharged 10 Feb with no reason given: only a self check-in follow-up
         done, a call nobody answered and a message logged (none of them seen). Attended Knit
         and Natter, referred in December (outside the span).
    Cat: a link worker with nobody. Zed: deactivated, nobody: not shown.

By hand: referred in P1 P2 P4 P6 = 4; seen P1 P2 P3 P4 = 4; discharged P2 P3 P6 = 3.
SWEMWBS: P1 +9.71, P3 -2.37: mean (9.71 - 2.37) / 2 = 3.67, median 3.67, 1 of 2 (50%) improved
by the MID, none worse by it. UCLA-3: P2 -4, 1 patient, improved. Knit and Natter: 3 made in the
span (P1 attended, P2 attended, P4 declined), median days (3 + 10) / 2 = 6.5.
Caseloads at each month's end: Ann 1 2 2 2 1 1, Ben 2 1 1 1 1 1, Cat 0 throughout.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.measures import score_all
from pwa.models import AssetReferral, AuditEvent, CheckIn, CommunityAsset, Patient, User
from pwa.outcomes import Change, Figures, Report, ReportFilters, read_filters
from pwa.progress import TRACKED

from .conftest import make_asset, make_contact, make_follow_up, make_patient, make_user, sign_in

LONDON = ZoneInfo("Europe/London")
SPAN = {"from": "2026-01-01", "to": "2026-06-30"}
HOSTILE = '=HYPERLINK("http://evil.example","Click")'


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def swemwbs(answer: int, total: int | None = None) -> dict[str, dict[str, int]]:
    keys = ["optimistic", "useful", "relaxed", "dealing_with_problems", "thinking_clearly",
            "close_to_others", "own_mind"]  # fmt: skip
    answers = dict.fromkeys(keys, answer)
    if total is not None:  # 17: three 3s and four 2s
        answers = {k: (3 if i < 3 else 2) for i, k in enumerate(keys)}
        assert sum(answers.values()) == total
    return {"swemwbs": answers}


def check_in(
    patient: Patient, author: User, measures: dict[str, Any], when: datetime, **more: Any
) -> CheckIn:
    row = CheckIn(patient_id=patient.id, author_id=author.id,
                  source=more.pop("source", "link_worker"), captured_at=when, measures=measures,
                  scores=score_all(measures), **more)  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def referral(patient: Patient, asset: CommunityAsset, by: User, status: str, made: str,
             attended: str | None = None) -> None:  # fmt: skip
    db.session.add(AssetReferral(
        patient_id=patient.id, asset_id=asset.id, status=status, created_by_id=by.id,
        created_at=at(made), referred_at=at(made) if status in ("referred", "attended") else None,
        attended_at=at(attended) if attended else None,
    ))  # fmt: skip
    db.session.commit()


@pytest.fixture
def practice(app: Flask) -> dict[str, object]:
    ann = make_user("link_worker", "ann", display_name="Ann Ames")
    ben = make_user("link_worker", "ben", display_name="Ben Bell")
    cat = make_user("link_worker", "cat", display_name="Cat Cole")
    make_user("link_worker", "zed", display_name="Zed Zane", active=False)
    knit = make_asset(name="Knit and Natter")
    hostile = make_asset(name=HOSTILE)

    p1 = make_patient(ann, needs=["loneliness"], created_at=at("2026-01-10"))
    wrong = check_in(p1, ann, swemwbs(1), at("2026-01-15"))
    check_in(p1, ann, swemwbs(2), at("2026-01-16"), amends_id=wrong.id)
    check_in(p1, ann, swemwbs(4), at("2026-05-15"))
    referral(p1, knit, ann, "attended", "2026-01-20", "2026-01-30")
    referral(p1, hostile, ann, "referred", "2026-03-01")
    make_patient(ann, needs=["loneliness"], created_at=at("2026-07-05"))

    p2 = make_patient(ann, needs=["debt"], created_at=at("2026-02-01"), status="discharged",
                      discharged_at=at("2026-05-01"), discharge_reason="goals_met")  # fmt: skip
    ucla = {"ucla3": {"companionship": 3, "left_out": 3, "isolated": 3}}
    check_in(p2, ann, ucla, at("2026-02-05"))
    check_in(p2, ann, {"ucla3": {"companionship": 2, "left_out": 2, "isolated": 1}},
             at("2026-04-05"))  # fmt: skip
    referral(p2, knit, ann, "attended", "2026-02-10", "2026-02-13")

    p3 = make_patient(ben, needs=["loneliness", "debt"], created_at=at("2025-12-01"),
                      status="discharged", discharged_at=at("2026-03-01"),
                      discharge_reason="moved_away")  # fmt: skip
    check_in(p3, ben, swemwbs(5), at("2025-12-15"))
    check_in(p3, ben, swemwbs(3), at("2026-01-20"))
    check_in(p3, ben, swemwbs(0, total=17), at("2026-02-20"))
    referral(p3, hostile, ben, "suggested", "2026-01-25")

    p4 = make_patient(ben, needs=["loneliness"], created_at=at("2026-03-10"))
    check_in(p4, ben, swemwbs(3), at("2026-03-12"), source="self")
    make_follow_up(p4, kind="visit", due_at=at("2026-03-20"), done_at=at("2026-03-20"))
    referral(p4, knit, ben, "declined", "2026-03-15")

    p6 = make_patient(ben, needs=["housing"], created_at=at("2026-01-05"), status="discharged",
                      discharged_at=at("2026-02-10"))  # fmt: skip
    make_follow_up(p6, kind="self_checkin", due_at=at("2026-01-20"), done_at=at("2026-01-20"))
    make_contact(p6, ben, kind="no_answer", happened_at=at("2026-01-15"))
    make_contact(p6, ben, kind="message", happened_at=at("2026-01-16"))
    referral(p6, knit, ben, "attended", "2025-12-20", "2026-01-02")
    return {"ann": ann, "ben": ben, "cat": cat}


def figures(**chosen: object) -> Figures:
    filters = ReportFilters(date(2026, 1, 1), date(2026, 6, 30), **chosen)  # type: ignore[arg-type]
    return Figures.of(Report(db.session, filters, LONDON))


def change_of(found: Figures, key: str) -> Change:
    return next(c for c in found.changes if c.tracked.key == key)


def test_people_referred_in_seen_and_discharged_with_why(practice: dict[str, User]) -> None:
    people = figures().people
    assert (people.referred_in, people.seen, people.discharged) == (4, 4, 3)
    assert people.reason_rows() == [("Goals met", 1), ("Moved away", 1), ("Not recorded", 1)]


def test_a_logged_visit_call_or_group_session_counts_as_seen(
    practice: dict[str, User],
) -> None:
    p6 = db.session.scalar(db.select(Patient).where(Patient.created_at == at("2026-01-05")))
    assert p6 is not None
    make_contact(p6, practice["ben"], kind="group_session", happened_at=at("2026-07-02"))
    assert figures().people.seen == 4  # after the span: still not seen in it
    make_contact(p6, practice["ben"], kind="group_session", happened_at=at("2026-02-01"))
    assert figures().people.seen == 5


def test_filters_by_link_worker_and_by_need(practice: dict[str, User]) -> None:
    anns = figures(worker_id=practice["ann"].id).people
    assert (anns.referred_in, anns.seen, anns.discharged) == (2, 2, 1)
    debt = figures(need="debt").people
    assert (debt.referred_in, debt.seen, debt.discharged) == (1, 2, 2)
    housing = figures(need="housing")
    assert (housing.people.referred_in, housing.people.seen) == (1, 0)
    assert [f.name for f in housing.referrals] == []  # P6's referral was made in December


def test_first_to_latest_change_with_the_published_mid(practice: dict[str, User]) -> None:
    found = figures()
    wellbeing = change_of(found, "swemwbs.metric")
    assert wellbeing.counts == ((-2.37, 1), (9.71, 1))
    assert (wellbeing.patients, wellbeing.mean, wellbeing.median) == (2, 3.67, 3.67)
    assert wellbeing.mid == 3.0
    assert wellbeing.share(True) == (1, 50.0)
    assert wellbeing.share(False) == (0, 0.0)
    assert wellbeing.bins() == [("Worse by the MID", 0), ("About the same", 1),
                                ("Better by the MID", 1)]  # fmt: skip
    assert wellbeing.histogram() == [("-2", 1), ("+10", 1)]
    lonely = change_of(found, "ucla3.total")
    assert (lonely.patients, lonely.mean, lonely.mid) == (1, -4.0, None)
    assert lonely.share(True) == (1, 100.0)  # lower is better: -4 improved
    assert all(change_of(found, t.key).patients == 0 for t in TRACKED if t.measure == "ons4")


def test_a_corrected_check_in_counts_as_its_correction(practice: dict[str, User]) -> None:
    # Had the wrong first reading (raw 7, metric 7.0) counted, P1 would be +18.03.
    anns = change_of(figures(worker_id=practice["ann"].id), "swemwbs.metric")
    assert anns.counts == ((9.71, 1),)


def test_referral_funnel_per_asset_and_days_to_attend(practice: dict[str, User]) -> None:
    funnels = {f.name: f for f in figures().referrals}
    knit = funnels["Knit and Natter"]
    assert (knit.total, knit.at("attended"), knit.at("declined"), knit.reached_referred) == (
        3, 2, 1, 2)  # fmt: skip
    assert knit.days == ((3, 1), (10, 1)) and knit.median_days == 6.5
    hostile = funnels[HOSTILE]
    assert (hostile.total, hostile.at("suggested"), hostile.reached_referred) == (2, 1, 1)
    assert hostile.median_days is None


def test_caseload_per_link_worker_at_each_months_end(practice: dict[str, User]) -> None:
    caseloads = figures().caseloads
    assert [p.at for p in caseloads.points] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
        date(2026, 5, 31), date(2026, 6, 30)]  # fmt: skip
    assert [name for _, name in caseloads.workers] == ["Ann Ames", "Ben Bell", "Cat Cole"]
    assert caseloads.series(practice["ann"].id) == [1, 2, 2, 2, 1, 1]
    assert caseloads.series(practice["ben"].id) == [2, 1, 1, 1, 1, 1]
    assert caseloads.series(practice["cat"].id) == [0] * 6
    assert caseloads.highest() == [2, 2, 2, 2, 1, 1]
    assert caseloads.median() == [1, 1, 1, 1, 1, 1]


def test_a_short_span_is_counted_weekly(practice: dict[str, User]) -> None:
    filters = ReportFilters(date(2026, 2, 1), date(2026, 2, 20))
    report = Report(db.session, filters, LONDON)
    assert report.sample_days() == [date(2026, 2, 7), date(2026, 2, 14), date(2026, 2, 20)]
    # Ben: P3 and P6 until 10 Feb, then P3 alone.
    assert report.caseloads().series(practice["ben"].id) == [2, 1, 1]


def test_each_figure_is_one_query_every_score_too(practice: dict[str, User]) -> None:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):  # not BEGIN
            statements.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        report = Report(db.session, ReportFilters(date(2026, 1, 1), date(2026, 6, 30)), LONDON)
        for run in (report.people, report.referrals, report.changes):  # all 6 scores in one
            statements.clear()
            run()
            assert len(statements) == 1, statements
        statements.clear()
        report.caseloads()
        assert len(statements) == 2  # the counts, then the link workers' names
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    "args",
    [{"from": "9999-12-01", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "2026-01-01"},
     {"from": "1999-12-31"}, {"to": "2029-01-01"}, {"from": "2020-02-30"}],
)  # fmt: skip
def test_dates_out_of_range_are_named_never_a_crash(
    client: FlaskClient, admin: User, args: dict[str, str]
) -> None:
    sign_in(client, admin)
    page = client.get("/admin/outcomes", query_string=args)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "There is a problem" in text and "this shows the last 12 months" in text
    assert client.get("/admin/outcomes/caseloads.csv", query_string=args).status_code == 200


def test_a_long_span_is_counted_every_few_months(app: Flask) -> None:
    ten_years = Report(db.session, ReportFilters(date(2016, 1, 1), date(2025, 12, 31)), LONDON)
    days = ten_years.sample_days()
    assert len(days) <= 25 and days[-1] == date(2025, 12, 31)
    assert days[:2] == [date(2016, 5, 31), date(2016, 10, 31)]  # every 5 months: 120 / 24
    two_years = Report(db.session, ReportFilters(date(2025, 1, 1), date(2026, 12, 31)), LONDON)
    assert len(two_years.sample_days()) == 24  # each month's end


def test_bad_filters_are_named_and_left_at_their_defaults(app: Flask) -> None:
    worker = make_user("link_worker")
    today = date(2026, 11, 28)
    filters, problems = read_filters(
        {"from": "2026-13-01", "to": "2026-01-01", "worker": "not-an-id", "need": "<script>"},
        today, [worker.id],
    )  # fmt: skip
    assert set(problems) == {"from", "worker", "need"}  # no word on "to": "from" was wrong
    assert (filters.since, filters.until) == (date(2025, 12, 1), date(2026, 11, 28))
    assert filters.worker_id is None and filters.need is None
    _, problems = read_filters({"from": "2026-02-01", "to": "2026-01-01"}, today, [])
    assert problems == {"to": "The end date must be on or after the start date"}
    admin = make_user("admin")
    _, problems = read_filters({"worker": str(admin.id)}, today, [worker.id])
    assert "worker" in problems  # an admin is not a link worker to report on


def test_the_page_shows_every_figure_as_a_chart_and_a_table(
    client: FlaskClient, practice: dict[str, User]
) -> None:
    admin = make_user("admin")
    sign_in(client, admin)
    response = client.get("/admin/outcomes", query_string=SPAN)
    page = response.get_data(as_text=True)
    assert page.count('role="img"') >= 5
    assert "Referred in" in page and "Goals met" in page and "Moved away" in page
    assert "3 metric points" not in page  # the MID is written once, in its own words
    assert "minimal important difference of 3 points (Shah et al. 2018" in page
    assert "the scale's authors publish no minimal important difference" in page
    assert "Knit and Natter" in page and "6.5" in page
    assert "&lt;" not in HOSTILE and "=HYPERLINK(&#34;http://evil.example&#34;" in page
    assert "Zed Zane" not in page.split('id="caseloads"')[1]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.outcomes")
    ).one()
    assert event.user_id == admin.id


def test_each_table_downloads_as_csv_that_reads_back_the_same(
    client: FlaskClient, practice: dict[str, User]
) -> None:
    sign_in(client, make_user("admin"))
    found = figures().tables()
    for name, table in found.items():
        response = client.get(f"/admin/outcomes/{name}.csv", query_string=SPAN)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == list(table.headings)
        for row in rows[1:]:
            for cell in row:  # nothing but a plain number may start like a formula
                assert not cell.startswith(("=", "@", "\t", "\r")), cell
                if cell.startswith(("+", "-")):
                    float(cell)
        expected = [[str(v) for v in row] for row in table.rows]
        if name == "referrals":  # the hostile name is written so it cannot run as a formula
            assert [r[0] for r in rows[1:] if HOSTILE in r[0]] == ["'" + HOSTILE]
            expected = [["'" + r[0] if r[0] == HOSTILE else r[0], *r[1:]] for r in expected]
        assert rows[1:] == expected, name
    assert client.get("/admin/outcomes/nothing.csv").status_code == 404


@pytest.mark.parametrize("role", ["link_worker", "patient"])
def test_only_admins_see_the_report(client: FlaskClient, app: Flask, role: str) -> None:
    sign_in(client, make_user(role))
    for path in ("/admin/outcomes", "/admin/outcomes/people.csv"):
        assert client.get(path).status_code == 404
