"""Refer a patient to a community asset and record how it went."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import casework
from ..access import patient_or_404, refused_page, role_required
from ..audit import audit, audit_shown
from ..extensions import db
from ..forms.fields import choice_list
from ..forms.referral import ReferralForm, ReferralStatusForm
from ..models import AssetReferral, CommunityAsset, Patient
from ..scope import Refused, writable_patients

bp = Blueprint("referrals", __name__)


@bp.route("/assets/<uuid:asset_id>/refer", methods=["GET", "POST"])
@role_required("admin", "link_worker")
def refer_patient(asset_id: uuid.UUID) -> ResponseReturnValue:
    """Refer one of the caseload's patients to this asset."""
    asset = db.session.get(CommunityAsset, asset_id)
    if asset is None or not asset.active:
        abort(404)
    form = ReferralForm()
    patients = list(db.session.scalars(
        writable_patients(current_user).order_by(Patient.family_name, Patient.given_name)
    ))  # fmt: skip
    form.patient_id.choices = choice_list(
        [("", "Choose a patient")]
        + [
            (
                str(p.id),
                f"{p.full_name} ({p.date_of_birth:%d %b %Y})" if p.date_of_birth else p.full_name,
            )
            for p in patients
        ]
    )
    if request.method == "GET" and request.args.get("patient"):
        form.patient_id.data = request.args["patient"]
    if form.validate_on_submit():
        patient = patient_or_404(uuid.UUID(form.patient_id.data), action="patient.view_for_change")
        try:
            referral = casework.add_referral(current_user, patient, {
                "asset_id": asset.id, "status": form.status.data,
                "note": (form.note.data or "").strip(),
            })  # fmt: skip
        except Refused as refusal:
            return refused_page(refusal, patient)
        audit("referral.create", referral, patient=patient)
        db.session.commit()
        flash(f"{patient.full_name} referred to {asset.name}", "success")
        return redirect(url_for("patients.show_patient", patient_id=patient.id))
    page = render_template("referrals/new.html", form=form, asset=asset)
    audit_shown("referral.patient_list", patients)  # names and dates of birth, in the picker
    db.session.commit()
    return page


@bp.post("/referrals/<uuid:referral_id>/status")
@role_required("admin", "link_worker")
def update_referral(referral_id: uuid.UUID) -> ResponseReturnValue:
    """Record whether the patient was referred, attended or declined."""
    referral = db.session.get(AssetReferral, referral_id)
    if referral is None:
        abort(404)
    patient = patient_or_404(referral.patient_id, action="patient.view_for_change")
    form = ReferralStatusForm()
    if not form.validate_on_submit():
        flash("Choose a status for the referral", "error")
    elif form.status.data != referral.status:
        try:
            casework.change_referral(current_user, referral, {"status": form.status.data})
        except Refused as refusal:
            return refused_page(refusal, patient)
        audit("referral.update", referral, patient=patient)
        db.session.commit()
        flash(f"Referral to {referral.asset.name}: {referral.status_name}", "success")
    return redirect(url_for("patients.show_patient", patient_id=patient.id))
