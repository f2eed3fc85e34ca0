"""A patient's own view of their check-ins."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access import role_required
from ..extensions import db
from ..filters import format_date
from ..measures import HelpThresholds, help_reasons
from ..progress import (
    PATIENT_FOLLOW_UP_KINDS,
    PATIENT_REFERRAL_STATUSES,
    coming_up,
    progress_charts,
    tracked_values,
)
from ..scope import Refused, readable_patients
from .check_ins import blank_check_in_form, check_in_page, save_check_in

bp = Blueprint("my_progress", __name__)


@bp.get("/my-progress")
@role_required("patient")
def my_progress() -> ResponseReturnValue:
    """Show a patient their own scores over time, and nobody else's."""
    patient = db.session.scalar(readable_patients(current_user))
    check_ins = patient.check_ins if patient else []
    # Exactly what their phone holds (projections: a done contact is no longer theirs to see).
    zone = ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    upcoming = coming_up(patient.follow_ups, today) if patient else []
    return render_template(
        "my_progress.html",
        patient=patient,
        upcoming=upcoming,
        referrals=patient.referrals if patient else [],
        kinds=PATIENT_FOLLOW_UP_KINDS,
        statuses=PATIENT_REFERRAL_STATUSES,
        check_ins=list(reversed(check_ins)),
        charts=progress_charts(check_ins, format_date),
        latest=tracked_values(check_ins[-1].scores) if check_ins else [],
    )


@bp.route("/my-progress/check-in", methods=["GET", "POST"])
@role_required("patient")
def self_check_in() -> ResponseReturnValue:
    """Let a patient answer the wellbeing questions themself, between sessions."""
    patient = db.session.scalar(readable_patients(current_user))
    if patient is None or patient.status != "active":
        abort(404)
    form = blank_check_in_form(patient)
    form.self_report = True
    if form.validate_on_submit():
        try:
            check_in, new = save_check_in(form, patient)
        except Refused as refusal:
            db.session.rollback()
            flash(" ".join(m for ms in refusal.errors.values() for m in ms), "error")
            return redirect(url_for("my_progress.my_progress"))
        flash("Thank you. Your check-in is saved" if new else "This check-in was already saved",
              "success")  # fmt: skip
        if new and help_reasons(check_in.scores, HelpThresholds.from_config(current_app.config)):
            flash("1", "needs-help")  # the layout shows "If you need help" (nothing else)
        flash(request.path, "saved-form")  # the form's draft on this phone can go
        return redirect(url_for("my_progress.my_progress"))
    return check_in_page(form, patient, self_report=True)
