"""Schedule follow-ups and mark them done."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from ..access import patient_or_404, role_required
from ..audit import audit
from ..extensions import db
from ..forms.follow_up import FollowUpDoneForm, FollowUpForm
from ..models import FollowUp, utcnow

bp = Blueprint("follow_ups", __name__)


@bp.route("/patients/<uuid:patient_id>/follow-ups/new", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def schedule_follow_up(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Book a visit, call or self check-in for a patient."""
    patient = patient_or_404(patient_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        zone = ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])
        due_at = datetime.combine(form.due_date.data, form.due_time.data or time(9, 0), zone)
        follow_up = FollowUp(
            patient_id=patient.id,
            # The patient's link worker owns it, even when an admin books it for them.
            assigned_to_id=patient.link_worker_id,
            due_at=due_at,
            kind=form.kind.data,
            note=(form.note.data or "").strip(),
        )
        db.session.add(follow_up)
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
    if not FollowUpDoneForm().validate_on_submit():
        abort(400)
    if follow_up.done_at is None:
        follow_up.done_at = utcnow()
        audit("followup.complete", follow_up, patient=patient)
        db.session.commit()
        flash(f"{follow_up.kind_name} marked as done", "success")
    return redirect(url_for("patients.show_patient", patient_id=patient.id))
