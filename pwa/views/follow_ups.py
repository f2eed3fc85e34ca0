"""Schedule follow-ups and mark them done."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import casework
from ..access import patient_or_404, refused_page, role_required
from ..audit import audit
from ..extensions import db
from ..forms.follow_up import FollowUpDoneForm, FollowUpForm
from ..models import FollowUp, utcnow
from ..scope import Refused, check_write

bp = Blueprint("follow_ups", __name__)


@bp.route("/patients/<uuid:patient_id>/follow-ups/new", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def schedule_follow_up(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Book a visit, call or self check-in for a patient."""
    patient = patient_or_404(patient_id)
    try:
        check_write(current_user, patient, record_type="followup", adding=True, field="patient")
    except Refused as refusal:
        return refused_page(refusal, patient)
    form = FollowUpForm()
    if form.validate_on_submit():
        zone = ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])
        due_at = datetime.combine(form.due_date.data, form.due_time.data or time(9, 0), zone)
        try:
            # Left unassigned, it is the patient's link worker's, even when an admin books it.
            follow_up = casework.add_follow_up(current_user, patient, {
                "due_at": due_at, "kind": form.kind.data, "note": (form.note.data or "").strip(),
            })  # fmt: skip
        except Refused as refusal:
            return refused_page(refusal, patient)
        audit("followup.create", follow_up, patient=patient)
        db.session.commit()
        flash(f"{follow_up.kind_name} booked", "success")
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    return render_template("follow_ups/new.html", form=form, patient=patient)


@bp.post("/follow-ups/<uuid:follow_up_id>/done")
@role_required("admin", "link_worker")
def complete_follow_up(follow_up_id: uuid.UUID) -> ResponseReturnValue:
    """Mark a follow-up as done."""
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None:
        abort(404)
    patient = patient_or_404(follow_up.patient_id, action="patient.view_for_change")
    form = FollowUpDoneForm()
    if not form.validate_on_submit():
        abort(400)
    if follow_up.done_at is None and not casework.may_mark_done(follow_up, utcnow()):
        flash(f"{follow_up.kind_name} is not due yet: it can be marked done from the day before",
              "error")  # fmt: skip
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    try:
        completed = casework.complete_follow_up(current_user, follow_up, form.outcome.data or None)
    except Refused as refusal:
        return refused_page(refusal, patient)
    if completed:
        audit("followup.complete", follow_up, patient=patient)
        db.session.commit()
        said = f": {follow_up.outcome_name.lower()}" if follow_up.outcome else ""
        flash(f"{follow_up.kind_name} marked as done{said}", "success")
    return redirect(url_for("patients.show_patient", patient_id=patient.id))
