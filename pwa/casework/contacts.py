"""Log a quick contact with a patient: immutable once stored, as a check-in is."""

from __future__ import annotations

import uuid
from typing import Any

from ..extensions import db
from ..models import Contact, Patient, User
from ..scope import check_write
from .changes import ids_taken_elsewhere


def new_contact_row(
    actor: User, patient: Patient | None, record_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any]:
    """Return the row a new contact is stored as: its author is whoever sent it.

    `values` holds kind, happened_at (aware, already checked by `rules.captured_at`) and note.
    """
    patient = check_write(actor, patient, record_type="contact", adding=True, field="patient_id")
    offset = values["happened_at"].utcoffset()
    return {
        **values,
        "id": record_id,
        "patient_id": patient.id,
        "author_id": actor.id,
        "happened_utc_offset": int(offset.total_seconds() // 60) if offset else 0,
    }


def record_contact(
    actor: User, patient: Patient, record_id: uuid.UUID, values: dict[str, Any]
) -> tuple[Contact, bool]:
    """Log a contact from a page once; return it and whether it is new.

    As `record_check_in`: the form carries the id it was shown with, so posting it twice (a
    double tap, a lost answer) finds the first; another patient's id is never touched.
    """
    existing = db.session.get(Contact, record_id)
    if existing is not None and existing.patient_id == patient.id:
        return existing, False
    taken = existing is not None or bool(ids_taken_elsewhere([record_id], Contact))
    contact = Contact(**new_contact_row(actor, patient, uuid.uuid4() if taken else record_id,
                                        values))  # fmt: skip
    db.session.add(contact)
    return contact, True
