"""Log a quick contact with a patient: a visit, a call, a message, no answer, a group session."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import casework
from ..access import patient_or_404, refused_page, role_required
from ..audit import audit
from ..casework import rules
from ..extensions import db
from ..forms.contact import ContactForm
from ..models import Contact, utcnow
from ..practice import practice_zone
from ..scope import Refused, check_write

bp = Blueprint("contacts", __name__)

# The second button: save, then go straight on to the check-in form ("optional measures").
THEN_CHECK_IN = "check_in"


@bp.route("/patients/<uuid:patient_id>/contacts/new", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def log_contact(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Log what happened in a few taps; saved once however often the form is posted."""
    patient = patient_or_404(patient_id)
    try:
        check_write(current_user, patient, record_type="contact", adding=True, field="patient")
    except Refused as refusal:
        return refused_page(refusal, patient)
    form = ContactForm()
    if not form.is_submitted():
        form.record_id.data = str(uuid.uuid4())
    if form.validate_on_submit():
        try:
            values = form.values(practice_zone(), utcnow())
        except rules.Invalid as problem:
            form.happened_time.errors = [str(problem)]
        else:
            try:
                contact, new = casework.record_contact(
                    current_user, patient, form.contact_id(), values
                )
            except Refused as refusal:
                return refused_page(refusal, patient)
            if new:
                audit("contact.create", contact, patient=patient)
                saved_id = contact.id
                try:
                    db.session.commit()
                except IntegrityError:  # the same form posted twice at once: the other saved it
                    db.session.rollback()
                    contact = db.get_or_404(Contact, saved_id)
            flash(f"{contact.kind_name} logged", "success")
            if form.then.data == THEN_CHECK_IN:
                return redirect(url_for("check_ins.record_check_in", patient_id=patient.id))
            return redirect(url_for("patients.show_patient", patient_id=patient.id))
    return render_template("contacts/new.html", form=form, patient=patient)
