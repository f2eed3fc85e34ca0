"""Two-way sync between phones and the server: apply what the phone sent, then send what changed.

`records.py` reads each change's shape (`shapes.py` holds the models), `apply.py` stores each
exactly once through the casework rules and the trust boundary, and `feed.py` pages out the
caller's changes by cursor, projected for their audience. The HTTP side lives in `pwa/api.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select

from .. import casework
from ..audit import audit
from ..extensions import db
from ..models import AuditEvent, CheckIn, Device, User, utcnow
from ..projections import feed_entry
from ..scope import audience
from .apply import Batch, apply_batch
from .feed import BadCursor, Position, patients_sent, pull
from .records import RECORD_TYPES
from .shapes import MAX_CHANGES

__all__ = ["MAX_CHANGES", "BadCursor", "Position", "sync"]


def sync(
    actor: User, device: Device | None, changes: list[Any], cursor: Position, page_size: int,
    epoch: str,
) -> dict[str, Any]:  # fmt: skip
    """Apply each change in its own transaction, then return a page of the caller's feed,
    its cursor in this database's history (`epoch`, pwa/sync/restore.py)."""
    batch = Batch(actor, device)
    outcomes = apply_batch(changes, batch)
    device_id = device.id if device else None
    audits = [
        {"action": o.audit_action, "record_id": o.id,
         "record_type": RECORD_TYPES[o.audit_action.split(".")[0]].model.__tablename__,
         "patient_id": o.patient_id, "user_id": actor.id, "device_id": device_id,
         "at": utcnow()}
        for o in outcomes if o.audit_action
    ]  # fmt: skip
    if device is not None:
        device.last_synced_at = utcnow()
    if audits:  # one INSERT for the batch, in the batch's transaction
        db.session.execute(insert(AuditEvent), audits)
    if actor.role == "patient":  # their own check-in does what a due self check-in asked
        stored = [uuid.UUID(o.id) for o in outcomes if o.audit_action == "checkin.create"]
        if stored:
            for patient_id, captured_at in db.session.execute(
                select(CheckIn.patient_id, CheckIn.captured_at).where(CheckIn.id.in_(stored))
            ):
                casework.close_due_self_check_ins(patient_id, captured_at)
    db.session.commit()
    seen_by = audience(actor)
    # apply_batch only ever gives back a record the caller may read (pwa.scope.may_read).
    conflicts = [feed_entry(o.server_record, seen_by) for o in outcomes if o.server_record]
    entries, after, more = pull(actor, cursor, page_size)
    if actor.is_staff:
        for patient_id in patients_sent(conflicts + entries):
            audit(
                "patient.sync_read",
                record_type="patients",
                record_id=str(patient_id),
                patient_id=patient_id,
                user_id=actor.id,
                device_id=device_id,
            )
        db.session.commit()
    return {
        "results": [o.to_dict() for o in outcomes],
        "changes": conflicts + entries,
        "cursor": after.encode(epoch),
        "more": bool(more),
    }
