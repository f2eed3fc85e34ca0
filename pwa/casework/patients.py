"""Add a patient, change their details, reassign them, discharge them (and reopen, for admins)."""

from __future__ import annotations

import uuid
from typing import Any

from ..access_links import revoke_invitations
from ..extensions import db
from ..models import Patient, User, utcnow
from ..scope import Refused, check_write
from .assignment import link_worker_for
from .changes import write


def new_patient_row(actor: User, record_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """Return the row a new patient is stored as, on the caseload the rules allow."""
    if actor.role not in ("admin", "link_worker"):
        raise Refused("forbidden", {"type": ["You can only send your own check-ins."]})
    status = values.get("status") or "active"
    return {
        **values,
        "id": record_id,
        "link_worker_id": link_worker_for(actor, values.get("link_worker_id"), "link_worker_id"),
        "status": status,
        "discharged_at": utcnow() if status == "discharged" else None,
        "discharge_reason": values.get("discharge_reason") if status == "discharged" else None,
    }


def add_patient(actor: User, values: dict[str, Any]) -> Patient:
    """Add a patient (from a page) and return it, not yet committed."""
    patient = Patient(**new_patient_row(actor, uuid.uuid4(), values))
    db.session.add(patient)
    return patient


def change_patient(actor: User, patient: Patient, values: dict[str, Any]) -> None:
    """Change a patient's details, caseload or status, with the rules each change carries.

    Discharging stamps when; reopening (an admin's, since a discharged patient has left the
    link worker's caseload) clears it.
    """
    check_write(actor, patient, record_type="patient", adding=False, field="id")
    values = dict(values)
    if "link_worker_id" in values:
        values["link_worker_id"] = link_worker_for(
            actor, values["link_worker_id"], "link_worker_id"
        )
    status = values.get("status") or patient.status
    values.pop("status", None)
    reason = values.pop("discharge_reason", None)
    if status != patient.status:
        values["status"] = status
        values["discharged_at"] = utcnow() if status == "discharged" else None
        values["discharge_reason"] = reason if status == "discharged" else None
        if status == "discharged":  # an invitation given before must not work if reopened
            revoke_invitations(patient)
    moved_from = patient.link_worker_id
    write(patient, values)
    if patient.link_worker_id != moved_from:
        # Moving work between link workers is reassigning the patient: what was still to do
        # for them goes to their new worker (who is reminded of it, and whose phone gets it).
        for follow_up in patient.follow_ups:
            if follow_up.done_at is None and follow_up.assigned_to_id == moved_from:
                follow_up.assigned_to_id = patient.link_worker_id
