"""Record a wellbeing check-in and see its scores."""

from __future__ import annotations

import uuid

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
from sqlalchemy.exc import IntegrityError

from .. import casework, looks
from ..access import patient_or_404, refused_page, role_required
from ..audit import audit
from ..extensions import db
from ..forms.check_in import CheckInForm
from ..forms.user import UserActiveForm
from ..measures import MEASURES, HelpThresholds, help_reasons, measures_data
from ..models import NEEDS, CheckIn, Patient, utcnow
from ..scope import Refused, check_write

bp = Blueprint("check_ins", __name__)


def save_check_in(form: CheckInForm, patient: Patient) -> tuple[CheckIn, bool]:
    """Save a valid check-in form once; return the check-in and whether it is new.

    The form carries the id it was shown with, so the same form posted twice finds the first.
    Raises Refused if the patient takes no new records (discharged, say).
    """
    record_id = form.check_in_id()
    values = {
        "captured_at": utcnow(),
        "measures": form.answered_measures(),
        "needs": [code for code in NEEDS if code in (form.needs.data or [])],
        "notes": (form.notes.data or "").strip(),
    }
    check_in, new = casework.record_check_in(current_user, patient, record_id, values)
    if not new:
        return check_in, False
    audit("checkin.create", check_in, patient=patient)
    if current_user.role == "patient":
        casework.close_due_self_check_ins(patient.id, check_in.captured_at)
    saved_id = check_in.id
    try:
        db.session.commit()
    except IntegrityError:  # the same form, posted twice at once: the other post saved it
        db.session.rollback()
        return db.get_or_404(CheckIn, saved_id), False
    return check_in, True


def check_in_page(form: CheckInForm, patient: Patient, self_report: bool = False) -> str:
    """The check-in form's page, a link worker's or a patient's own, with the scoring rules it
    says each measure's score by (static/js/measure-score.mjs)."""
    return render_template("check_ins/new.html", form=form, patient=patient, measures=MEASURES,
                           measure_rules=measures_data(), self_report=self_report)  # fmt: skip


def blank_check_in_form(patient: Patient) -> CheckInForm:
    """Return a check-in form to show, with a new id and the patient's needs ticked."""
    form = CheckInForm()
    if not form.is_submitted():
        form.record_id.data = str(uuid.uuid4())
        form.needs.data = list(patient.needs)
    return form


@bp.route("/patients/<uuid:patient_id>/check-ins/new", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def record_check_in(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Record a check-in: any of the measures, the needs discussed and notes."""
    patient = patient_or_404(patient_id)
    try:
        check_write(current_user, patient, record_type="checkin", adding=True, field="patient")
    except Refused as refusal:
        return refused_page(refusal, patient)
    form = blank_check_in_form(patient)
    if form.validate_on_submit():
        try:
            check_in, new = save_check_in(form, patient)
        except Refused as refusal:
            return refused_page(refusal, patient)
        flash("Check-in saved" if new else "This check-in was already saved", "success")
        flash(request.path, "saved-form")  # the form's draft on this phone can go
        return redirect(
            url_for("check_ins.show_check_in", patient_id=patient.id, check_in_id=check_in.id)
        )
    return check_in_page(form, patient)


@bp.get("/patients/<uuid:patient_id>/check-ins/<uuid:check_in_id>")
@role_required("admin", "link_worker")
def show_check_in(patient_id: uuid.UUID, check_in_id: uuid.UUID) -> ResponseReturnValue:
    """Show one check-in with its answers and scores."""
    patient = patient_or_404(patient_id, action="checkin.view")
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.patient_id != patient.id:
        abort(404)
    return render_template(
        "check_ins/show.html",
        patient=patient,
        check_in=check_in,
        measures=MEASURES,
        reasons=help_reasons(check_in.scores, HelpThresholds.from_config(current_app.config)),
        look=looks.seen(check_in),
    )


@bp.post("/patients/<uuid:patient_id>/check-ins/<uuid:check_in_id>/seen")
@role_required("admin", "link_worker")
def mark_seen(patient_id: uuid.UUID, check_in_id: uuid.UUID) -> ResponseReturnValue:
    """Mark a patient's own check-in seen: it leaves "Check-ins to look at". Audited."""
    patient = patient_or_404(patient_id, action="checkin.view")
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.patient_id != patient.id or check_in.source != "self":
        abort(404)
    if not UserActiveForm().validate_on_submit():  # the CSRF token is the whole form
        abort(400)
    looks.mark_seen(current_user, check_in)
    db.session.commit()
    flash(f"{patient.full_name}'s check-in is marked as seen", "success")
    back = url_for("caseload.caseload") + "#to-look-at"
    if request.form.get("back") == "check-in":
        back = url_for("check_ins.show_check_in", patient_id=patient.id, check_in_id=check_in.id)
    return redirect(back)
