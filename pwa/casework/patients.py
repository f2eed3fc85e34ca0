"""Add a patient, change their details, reassign them, discharge them (and reopen, for admins)."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from sqlalchemy import func, select

from ..access_links import revoke_invitations
from ..extensions import db
from ..models import Patient, User, utcnow
from ..scope import Refused, check_write, may_read
from .assignment import link_worker_for
from .changes import write


def check_nhs_number_free(actor: User, nhs_number: str | None, patient_id: uuid.UUID) -> None:
    """Refuse an NHS number another patient of the practice already has.

    The message names who has it when the caller may read that patient's record, and says only
    that someone has it otherwise. Two people adding the same NHS number at once are checked
    one after the other: SQLite's writing transactions hold the write lock from BEGIN, and on
    PostgreSQL this takes a lock on the number itself (an advisory lock, held until the
    transaction ends). Not the change counter's row, which writers take last, at COMMIT:
    taking it here, midway, could deadlock with a writer holding a record this one needs.
    """
    if not nhs_number:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended("nhs:" + nhs_number, 0)))
        )
    holder = db.session.scalar(
        select(Patient).where(Patient.nhs_number == nhs_number, Patient.id != patient_id).limit(1)
    )
    if holder is None:
        return
    if may_read(actor, holder):
        born = holder.date_of_birth
        found = f"{holder.full_name}{f' (born {born.day} {born:%B %Y})' if born else ''}"
        message = f"{found} already has this NHS number. Check it, or open their record."
    else:
        message = (
            "Another patient at this practice already has this NHS number. Check it, or ask "
            "your practice admin."
        )
    raise Refused("validation_failed", {"nhs_number": [message]}, about=holder.id)


def same_name_and_birth(actor: User, values: dict[str, Any]) -> Patient | None:
    """A patient already here with the same names and date of birth, if any: one the caller may
    read first, so the warning can link to them.

    Names compare as people read them: any case (in any alphabet), a curly apostrophe as a
    straight one. Not proof of a duplicate (names repeat), so the page warns and lets the
    person go on; the NHS number, where given, is what must be unique.
    """
    if not values.get("date_of_birth"):
        return None
    wanted = (_name_key(values["given_name"]), _name_key(values["family_name"]))
    born_then = db.session.scalars(
        select(Patient).where(Patient.date_of_birth == values["date_of_birth"])
        .order_by(Patient.created_at)
    )  # fmt: skip
    same = [p for p in born_then
            if (_name_key(p.given_name), _name_key(p.family_name)) == wanted]  # fmt: skip
    return next((p for p in same if may_read(actor, p)), same[0] if same else None)


def _name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold().replace("\u2019", "'").strip()


def new_patient_row(actor: User, record_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """Return the row a new patient is stored as, on the caseload the rules allow."""
    if actor.role not in ("admin", "link_worker"):
        raise Refused("forbidden", {"type": ["You can only send your own check-ins."]})
    # Who it is for is checked first: a number is judged only for an add that may happen.
    worker_id = link_worker_for(actor, values.get("link_worker_id"), "link_worker_id")
    check_nhs_number_free(actor, values.get("nhs_number"), record_id)
    status = values.get("status") or "active"
    return {
        **values,
        "id": record_id,
        "link_worker_id": worker_id,
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
    if values.get("nhs_number") and values["nhs_number"] != patient.nhs_number:
        check_nhs_number_free(actor, values["nhs_number"], patient.id)
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
