"""A patient's own account, from their record: invite them, invite again, turn access off.

Staff who may change the patient (scope.may_change: their link worker, or an admin) do this
while the patient is active. The code is shown once, on the answer to the POST that made it,
never in a flash cookie, a URL or a log. Every step is audited (pwa/access_links.py and here).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import access_links
from ..access import patient_or_404, role_required
from ..accounts import deactivate
from ..audit import audit
from ..extensions import db
from ..forms.user import UserActiveForm
from ..models import Patient
from ..scope import may_change
from .access_links import code_page

bp = Blueprint("invitations", __name__)


def _changeable(patient_id: uuid.UUID) -> Patient:
    patient = patient_or_404(patient_id, action="patient.view_for_change")
    if not may_change(current_user, patient) or patient.status != "active":
        abort(404)
    if not UserActiveForm().validate_on_submit():  # the CSRF token is the whole form
        abort(400)
    return patient


@bp.post("/patients/<uuid:patient_id>/invitation")
@role_required("admin", "link_worker")
def invite(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Make an invitation (any earlier one stops working) and show its code, once."""
    patient = _changeable(patient_id)
    link, code = access_links.invite(patient, current_user)
    db.session.commit()
    return code_page("patients/invitation.html", link, code, patient=patient)


@bp.post("/patients/<uuid:patient_id>/invitation/cancel")
@role_required("admin", "link_worker")
def cancel(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Stop the patient's unused invitation from working."""
    patient = _changeable(patient_id)
    if access_links.revoke_invitations(patient):
        audit("patient.invitation_cancel", patient)
        flash(f"The invitation for {patient.full_name} no longer works", "success")
    db.session.commit()
    return redirect(url_for("patients.show_patient", patient_id=patient.id) + "#app-access")


@bp.post("/patients/<uuid:patient_id>/app-access/off")
@role_required("admin", "link_worker")
def turn_off(patient_id: uuid.UUID) -> ResponseReturnValue:
    """Close the patient's account: they are signed out everywhere and their phones wipe."""
    patient = _changeable(patient_id)
    if access_links.revoke_invitations(patient):
        audit("patient.invitation_cancel", patient)
    if patient.user is not None and patient.user.active:
        deactivate(patient.user)
        audit("patient.app_access_off", patient)
        flash(f"{patient.full_name} can no longer sign in. You can invite them again.", "success")
    db.session.commit()
    return redirect(url_for("patients.show_patient", patient_id=patient.id) + "#app-access")
