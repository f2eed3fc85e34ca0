"""The audit trail for practice admins: filter, page through, export as CSV."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue

from ..access import admin_only
from ..audit import audit
from ..audit_trail import ACTION_NAMES, PAGE_SIZE, csv_rows, events, read_filters
from ..extensions import db
from ..models import Patient, User

bp = Blueprint("admin_audit", __name__)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])


@bp.get("/admin/audit")
@admin_only
def trail() -> ResponseReturnValue:
    """Who did what, newest first: all of it, or one patient's, one person's, one action's."""
    filters, problems = read_filters(request.args)
    try:
        number = max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        number = 1
    rows = list(db.session.execute(
        events(filters, _zone()).limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)
    ))  # fmt: skip
    patient = db.session.get(Patient, filters.patient_id) if filters.patient_id else None
    # Reading the trail shows patients' names: it is a read of its own.
    audit("audit.view", record_type="audit", patient=patient)
    db.session.commit()
    return render_template(
        "admin/audit.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        number=number,
        filters=filters,
        problems=problems,
        patient=patient,
        people=list(db.session.scalars(db.select(User).order_by(User.display_name))),
        actions=ACTION_NAMES,
    )


@bp.get("/admin/audit.csv")
@admin_only
def export() -> ResponseReturnValue:
    """The filtered trail as CSV, every row (no paging), safe to open in a spreadsheet."""
    filters, _ = read_filters(request.args)
    # Named only if the patient exists (their row may be gone; the trail about them is not).
    patient = db.session.get(Patient, filters.patient_id) if filters.patient_id else None
    audit("audit.export", record_type="audit", patient=patient)
    db.session.commit()
    rows = db.session.execute(events(filters, _zone()).execution_options(yield_per=500))
    # Built whole, a few hundred rows read at a time: a practice's trail is megabytes, not more,
    # and the answer is then complete before the request's database session ends.
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(rows))
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="audit-trail.csv"'})  # fmt: skip
