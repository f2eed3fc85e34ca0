"""Add a patient, read their record, assign and discharge them."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import access_links, casework
from ..access import admin_only, patient_or_404, refused_page, role_required
from ..audit import audit
from ..extensions import db
from ..forms.fields import SelectChoice, choice_list
from ..forms.follow_up import FollowUpDoneForm
from ..forms.patient import AssignForm, DischargeForm, PatientForm, ReopenForm
from ..forms.referral import ReferralStatusForm
from ..models import Patient, User, utcnow
from ..progress import outcomes
from ..scope import Refused, may_change, may_read
from ..timeline import timeline

bp = Blueprint("patients", __name__)


def _link_worker_choices() -> list[SelectChoice]:
    workers = db.session.scalars(
        db.select(User)
        .where(User.role == "link_worker", User.active.is_(True))
        .order_by(User.display_name)
    )
    return choice_list((str(w.id), w.display_name) for w in workers)


def _form_refused(
    form: PatientForm, refusal: Refused, patient: Patient | None
) -> ResponseReturnValue:
    """Show a rule's refusal of a field (a taken NHS number) on the form; any other as a page."""
    db.session.rollback()
    if refusal.about is not None:  # the answer says something of this patient: on their trail
        audit("patient.nhs_number_clash", record_type="patient", patient_id=refusal.about)
        db.session.commit()
    if set(refusal.errors) <= {name for name in form._fields}:
        for name, messages in refusal.errors.items():
            form[name].errors = [*form[name].errors, *messages]
        return render_template("patients/form.html", form=form, patient=patient)
    if patient is None:
        for messages in refusal.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("caseload.caseload"))
    return refused_page(refusal, patient)


@bp.route("/patients/new", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def add_patient() -> ResponseReturnValue:
    """Add a patient to a caseload."""
    form = PatientForm()
    if current_user.role == "admin":
        form.link_worker_id.choices = _link_worker_choices()
    else:
        del form.link_worker_id  # a link worker adds to their own caseload
    if form.validate_on_submit():
        fields = form.patient_fields()
        same = None
        if not form.different_person.data:
            same = casework.same_name_and_birth(current_user, fields)
        if same is not None:
            # The warning says someone of this name and birthday is here: on their trail.
            audit("patient.same_name_warning", record_type="patient", patient_id=same.id)
            db.session.commit()
            return render_template("patients/form.html", form=form, patient=None, same=same,
                                   same_readable=may_read(current_user, same))  # fmt: skip
        worker_id = uuid.UUID(form.link_worker_id.data) if "link_worker_id" in form else None
        try:
            patient = casework.add_patient(current_user, {**fields, "link_worker_id": worker_id})
        except Refused as refusal:
            return _form_refused(form, refusal, None)
        audit("patient.create", patient)
        db.session.commit()
        flash(f"{patient.full_name} added", "success")
        flash(request.path, "saved-form")  # the form's draft on this phone can go
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=None)


@bp.route("/patients/<uuid:patient_id>/edit", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def edit_patient(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Correct or update a patient's details (moving them is the admin's Assign)."""
    patient = patient_or_404(patient_id)
    form = PatientForm(obj=patient)
    del form.link_worker_id
    if not form.is_submitted():  # the obj's True/False would win over a keyword argument
        form.consent_to_contact.data = "yes" if patient.consent_to_contact else "no"
    if form.validate_on_submit():
        try:
            casework.change_patient(current_user, patient, form.patient_fields())
        except Refused as refusal:
            return _form_refused(form, refusal, patient)
        if db.session.is_modified(patient):
            audit("patient.update", patient)
            db.session.commit()
            flash(f"{patient.full_name}'s details saved", "success")
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=patient)


@bp.get("/patients/<uuid:patient_id>")
@role_required("admin", "link_worker")
def show_patient(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Show a patient's details, check-ins, follow-ups and referrals."""
    patient = patient_or_404(patient_id)
    assign_form = None
    if current_user.role == "admin":
        assign_form = AssignForm(link_worker_id=str(patient.link_worker_id))
        assign_form.link_worker_id.choices = _link_worker_choices()
    now = utcnow()
    check_ins = [
        (c, url_for("check_ins.show_check_in", patient_id=patient.id, check_in_id=c.id))
        for c in patient.check_ins
    ]
    return render_template(
        "patients/show.html",
        patient=patient,
        can_change=may_change(current_user, patient),
        invitation=access_links.open_invitation(patient),
        check_ins=patient.check_ins,
        outcomes=outcomes(patient.check_ins),
        timeline=timeline(patient.contacts, check_ins, patient.follow_ups, patient.referrals, now),
        assign_form=assign_form,
        may_mark_done={f.id for f in patient.follow_ups if casework.may_mark_done(f, now)},
        done_form=FollowUpDoneForm(),
        status_form=ReferralStatusForm(),
    )


@bp.post("/patients/<uuid:patient_id>/assign")
@role_required("admin")
def assign_patient(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Move a patient to another link worker's caseload."""
    patient = patient_or_404(patient_id, action="patient.view_for_change")
    form = AssignForm()
    form.link_worker_id.choices = _link_worker_choices()
    if not form.validate_on_submit():
        flash("Choose an active link worker to assign the patient to", "error")
    elif uuid.UUID(form.link_worker_id.data) != patient.link_worker_id:
        try:
            casework.change_patient(
                current_user, patient, {"link_worker_id": uuid.UUID(form.link_worker_id.data)}
            )
        except Refused as refusal:
            return refused_page(refusal, patient)
        audit("patient.assign", patient)
        db.session.commit()
        where = "caseload" if patient.status == "active" else "list of discharged patients"
        flash(f"{patient.full_name} is now on {patient.link_worker.display_name}'s {where}",
              "success")  # fmt: skip
    return redirect(url_for("patients.show_patient", patient_id=patient.id))


@bp.route("/patients/<uuid:patient_id>/discharge", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def discharge_patient(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Ask why, then discharge a patient from the caseload (their record is kept)."""
    patient = patient_or_404(patient_id, action="patient.view_for_change")
    if patient.status != "active":
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    form = DischargeForm()
    if not form.validate_on_submit():
        return render_template("patients/discharge.html", patient=patient, form=form)
    try:
        casework.change_patient(
            current_user, patient, {"status": "discharged", "discharge_reason": form.reason.data}
        )
    except Refused as refusal:
        return refused_page(refusal, patient)
    audit("patient.discharge", patient)
    db.session.commit()
    flash(f"{patient.full_name} has been discharged: {patient.discharge_reason_name.lower()}",
          "success")  # fmt: skip
    return redirect(url_for("caseload.caseload"))


@bp.route("/patients/<uuid:patient_id>/reopen", methods=["GET", "POST"])
@admin_only
def reopen_patient(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Put a discharged patient back on a caseload (an admin's: they left the worker's phone)."""
    patient = patient_or_404(patient_id, action="patient.view_for_change")
    if patient.status != "discharged":
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    form = ReopenForm()
    form.link_worker_id.choices = _link_worker_choices()
    if not form.is_submitted() and any(
        choice.value == str(patient.link_worker_id) for choice in form.link_worker_id.choices
    ):
        form.link_worker_id.data = str(patient.link_worker_id)
    if not form.validate_on_submit():
        return render_template("patients/reopen.html", patient=patient, form=form)
    try:
        casework.change_patient(current_user, patient, {
            "status": "active", "link_worker_id": uuid.UUID(form.link_worker_id.data)})  # fmt: skip
    except Refused as refusal:
        return refused_page(refusal, patient)
    audit("patient.reopen", patient)
    db.session.commit()
    flash(f"{patient.full_name} is back on {patient.link_worker.display_name}'s caseload",
          "success")  # fmt: skip
    return redirect(url_for("patients.show_patient", patient_id=patient.id))
