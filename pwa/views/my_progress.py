"""A patient's own view of their check-ins."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access import role_required
from ..audit import audit
from ..extensions import db
from ..forms.check_in import CheckInForm
from ..measures import MEASURES, score_all
from ..models import NEEDS, CheckIn, Patient, utcnow
from ..progress import outcomes

bp = Blueprint("my_progress", __name__)


@bp.get("/my-progress")
@role_required("patient")
def my_progress() -> ResponseReturnValue:
    """Show a patient their own scores over time, and nobody else's."""
    patient = db.session.scalar(db.select(Patient).where(Patient.user_id == current_user.id))
    check_ins = patient.check_ins if patient else []
    return render_template(
        "my_progress.html",
        patient=patient,
        check_ins=list(reversed(check_ins)),
        outcomes=outcomes(check_ins),
    )


@bp.route("/my-progress/check-in", methods=["GET", "POST"])
@role_required("patient")
def self_check_in() -> ResponseReturnValue:
    """Let a patient answer the wellbeing questions themself, between sessions."""
    patient = db.session.scalar(db.select(Patient).where(Patient.user_id == current_user.id))
    if patient is None or patient.status != "active":
        abort(404)
    form = CheckInForm()
    if form.validate_on_submit():
        measures = form.answered_measures()
        now = utcnow()
        check_in = CheckIn(
            patient_id=patient.id, author_id=current_user.id, source="self",
            captured_at=now, received_at=now, measures=measures, scores=score_all(measures),
            needs=[code for code in NEEDS if code in (form.needs.data or [])],
            notes=(form.notes.data or "").strip(),
        )  # fmt: skip
        db.session.add(check_in)
        audit("checkin.create", check_in, patient=patient)
        db.session.commit()
        flash("Thank you. Your check-in is saved", "success")
        flash(request.path, "saved-form")  # the form's draft on this phone can go
        return redirect(url_for("my_progress.my_progress"))
    return render_template(
        "check_ins/new.html", form=form, patient=patient, measures=MEASURES, self_report=True
    )
