"""Write audit events for staff reads and every change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from .extensions import db
from .models import AuditEvent, Patient, Synced, utcnow


def audit(
    action: str,
    record: Synced | None = None,
    *,
    patient: Patient | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    user_id: uuid.UUID | None = None,
    patient_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
) -> None:
    """Add an audit event to this transaction: it commits or rolls back with the change."""
    if record is not None:
        record_type = record_type or record.__tablename__
    if patient is None and isinstance(record, Patient):
        patient = record
    if any(row is not None and (row.id is None or row in db.session.new)
           for row in (record, patient)):  # fmt: skip
        # The event refers to these rows by foreign key: write them first.
        db.session.flush()
    if record is not None:
        record_id = str(record.id)
    if user_id is None and current_user and current_user.is_authenticated:
        user_id = current_user.id
    db.session.add(
        AuditEvent(
            action=action,
            record_type=record_type,
            record_id=record_id,
            patient_id=patient.id if patient is not None else patient_id,
            user_id=user_id,
            device_id=device_id,
            ip_address=request.remote_addr if has_request_context() else None,
        )
    )


def audit_shown(action: str, patients: Iterable[Patient]) -> None:
    """Record that a list showed these patients to the signed-in person: one row per patient,
    so "who has seen my record" finds list views too. Added to this transaction."""
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    audit_reads(action, (patient.id for patient in patients), user_id)


def audit_reads(
    action: str,
    patient_ids: Iterable[uuid.UUID],
    user_id: uuid.UUID | None,
    device_id: uuid.UUID | None = None,
) -> bool:
    """Add one read event per patient to this transaction, in one INSERT (a list shown, a
    sync page sent); return whether there were any."""
    address = request.remote_addr if has_request_context() else None
    rows = [{"action": action, "record_type": "patients", "record_id": str(patient_id),
             "patient_id": patient_id, "user_id": user_id, "device_id": device_id,
             "ip_address": address, "at": utcnow()}
            for patient_id in patient_ids]  # fmt: skip
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    return bool(rows)
