"""The outcomes report for practice admins: the page, with charts and tables, and its CSVs."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from ..access import admin_only
from ..audit import audit
from ..audit_trail import safe_cell
from ..extensions import db
from ..models import NEEDS, User
from ..outcomes import Figures, Report, ReportFilters, read_filters, sample_words
from ..report_charts import bar_chart, lines_chart

bp = Blueprint("admin_reports", __name__)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])


def _workers() -> list[User]:
    return list(db.session.scalars(
        db.select(User).where(User.role == "link_worker").order_by(User.display_name, User.id)
    ))  # fmt: skip


def _figures() -> tuple[Figures, ReportFilters, dict[str, str], list[User]]:
    workers = _workers()
    today = datetime.now(_zone()).date()
    filters, problems = read_filters(request.args, today, [w.id for w in workers])
    figures = Figures.of(Report(db.session, filters, _zone()))
    return figures, filters, problems, workers


def _charts(figures: Figures, filters: ReportFilters) -> dict[str, Any]:
    people = figures.people
    span = f"from {filters.since:%-d %B %Y} to {filters.until:%-d %B %Y}"
    caseloads = figures.caseloads
    labels = [f"{point.at:%-d %b %Y}" for point in caseloads.points]
    if filters.worker_id:
        series = [(name, [float(v) for v in caseloads.series(worker_id)])
                  for worker_id, name in caseloads.workers]  # fmt: skip
        over_time = "caseload"
    else:
        series = [("Highest", [float(v) for v in caseloads.highest()]),
                  ("Median", caseloads.median())]  # fmt: skip
        over_time = "highest and median caseload across link workers"
    funnel = [
        ("Suggested or referred", sum(f.total for f in figures.referrals)),
        ("Referred", sum(f.reached_referred for f in figures.referrals)),
        ("Attended", sum(f.at("attended") for f in figures.referrals)),
        ("Declined", sum(f.at("declined") for f in figures.referrals)),
    ]
    return {
        "people": bar_chart(
            [("Referred in", people.referred_in), ("Seen by a link worker", people.seen),
             ("Discharged", people.discharged)],
            summary=f"Patients {span}: {people.referred_in} referred in, {people.seen} seen, "
                    f"{people.discharged} discharged.",
        ),
        "discharges": bar_chart(
            people.reason_rows(),
            summary="Why patients were discharged: " + "; ".join(
                f"{reason} {n}" for reason, n in people.reason_rows()) + ".",
        ),
        "changes": {
            change.tracked.key: bar_chart(
                change.bins(),
                summary=f"{change.tracked.label}, {change.patients} patients: " + "; ".join(
                    f"{label} {n}" for label, n in change.bins()) + ".",
            )
            for change in figures.changes if change.patients
        },
        "referrals": bar_chart(
            funnel, summary="Referrals made, all assets: " + "; ".join(
                f"{stage} {n}" for stage, n in funnel) + ".",
        ),
        "caseloads": lines_chart(labels, series, summary=f"The {over_time}, at the end of "
                                                         f"{sample_words(filters)} {span}."),
    }  # fmt: skip


@bp.get("/admin/outcomes")
@admin_only
def outcomes() -> ResponseReturnValue:
    """What the service achieved over a span of days: people, scores, referrals, caseloads."""
    figures, filters, problems, workers = _figures()
    audit("report.outcomes", record_type="report")
    db.session.commit()
    return render_template(
        "admin/outcomes.html",
        figures=figures,
        tables=figures.tables(),
        charts=_charts(figures, filters),
        filters=filters,
        problems=problems,
        workers=workers,
        needs=NEEDS,
        period=sample_words(filters),
    )


@bp.get("/admin/outcomes/<name>.csv")
@admin_only
def table_csv(name: str) -> ResponseReturnValue:
    """One of the report's tables, for the same filters, safe to open in a spreadsheet."""
    figures, filters, _, _ = _figures()
    table = figures.tables().get(name)
    if table is None:
        abort(404)
    audit("report.outcomes_export", record_type="report")
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in table.headings])
    writer.writerows([safe_cell(v) for v in row] for row in table.rows)
    filename = f"outcomes-{name}-{filters.since.isoformat()}-to-{filters.until.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip
