"""Exports for the GP record: one patient's FHIR Bundle, and the practice's records as FHIR Bulk
Data NDJSON, one file per resource type. Admins only; every patient exported is audited."""

from __future__ import annotations

import csv
import io
import json
import uuid

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

from .. import fhir_export
from ..access import admin_only, patient_or_404
from ..audit import audit_shown
from ..audit_trail import safe_cell
from ..extensions import db
from ..measures import MEASURES
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


CHECK_IN_HEADINGS = ("Check-in", "Patient", "NHS number", "When", "Done by", "Recorded by",
                     "Measure", "Answers", "Score")  # fmt: skip


def _score_words(key: str, score: dict[str, object]) -> str:
    if key == "ons4":
        return "; ".join(f"{item} {v['value']} ({v['band']})" for item, v in score.items()
                         if isinstance(v, dict))  # fmt: skip
    if key == "swemwbs":
        return f"{score.get('metric')} (raw {score.get('raw')})"
    return f"{score.get('total')}{' (lonely)' if score.get('lonely') else ''}"


@bp.get("/admin/export/check-ins.csv")
@admin_only
def check_ins_csv() -> ResponseReturnValue:
    """Every check-in, one row per check-in and measure, safe to open in a spreadsheet."""
    rows = db.session.execute(
        db.select(CheckIn, Patient).join(Patient, Patient.id == CheckIn.patient_id)
        .options(selectinload(CheckIn.author))
        .order_by(Patient.family_name, Patient.given_name, CheckIn.captured_at)
    ).all()  # fmt: skip
    audit_shown("patient.export_check_ins", list({p.id: p for _, p in rows}.values()))
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CHECK_IN_HEADINGS)
    for check_in, patient in rows:
        for key, answers in check_in.measures.items():
            measure = MEASURES.get(key)
            writer.writerow([safe_cell(v) for v in (
                check_in.id, patient.full_name, patient.nhs_number or "",
                check_in.captured_at_local.isoformat(),
                "Patient" if check_in.source == "self" else "Link worker",
                check_in.author.display_name, measure.title if measure else key,
                "; ".join(f"{item} {value}" for item, value in answers.items()),
                _score_words(key, check_in.scores.get(key, {})),
            )])  # fmt: skip
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="check-ins.csv"'},
    )
