"""Exports for the GP record: one patient's FHIR Bundle, and the practice's records as FHIR Bulk
Data NDJSON, one file per resource type. Admins only; every patient exported is audited."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

from .. import fhir_export
from ..access import admin_only, patient_or_404
from ..audit import audit_shown
from ..extensions import db
from ..models import CheckIn, Patient

bp = Blueprint("exports", __name__)
FHIR_JSON = "application/fhir+json"


@bp.get("/patients/<uuid:patient_id>/fhir.json")
@admin_only
def patient_bundle(patient_id: uuid.UUID) -> ResponseReturnValue:
    """One patient's social prescribing record as a FHIR Bundle (audited as an export)."""
    patient = patient_or_404(patient_id, action="patient.export_fhir")
    body = json.dumps(fhir_export.bundle(patient), indent=1)
    name = f"patient-{patient.id}.fhir.json"
    return Response(body, mimetype=FHIR_JSON,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@bp.get("/admin/export")
@admin_only
def exports() -> ResponseReturnValue:
    """The practice-wide files to download."""
    return render_template("admin/exports.html", types=fhir_export.RESOURCE_TYPES)


@bp.get("/admin/export/fhir/<resource_type>.ndjson")
@admin_only
def bulk(resource_type: str) -> ResponseReturnValue:
    """Every patient's resources of one type, one JSON per line (FHIR Bulk Data's NDJSON)."""
    if resource_type not in fhir_export.RESOURCE_TYPES:
        abort(404)
    patients = list(db.session.scalars(
        db.select(Patient).order_by(Patient.family_name, Patient.given_name).options(
            selectinload(Patient.check_ins).selectinload(CheckIn.author),
            selectinload(Patient.follow_ups), selectinload(Patient.link_worker))
    ))  # fmt: skip
    audit_shown("patient.export_fhir", patients)
    db.session.commit()
    lines = (json.dumps(r, separators=(",", ":")) + "\n"
             for r in fhir_export.of_type(patients, resource_type))  # fmt: skip
    return Response("".join(lines), mimetype="application/fhir+ndjson", headers={
        "Content-Disposition": f'attachment; filename="{resource_type}.ndjson"'})  # fmt: skip
