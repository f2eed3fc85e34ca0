"""Two-way sync between phones and the server: apply what the phone sent, then send what changed.

`records.py` reads each change's shape (`shapes.py` holds the models), `apply.py` stores each
exactly once through the casework rules and the trust boundary, and `feed.py` pages out the
caller's changes by cursor, projected for their audience. The HTTP side lives in `pwa/api.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update

from .. import casework
from ..audit import audit_reads
from ..database import reading
from ..devices import SEEN_RESOLUTION, still_signed_in
from ..extensions import db
from ..models import AuditEvent, CheckIn, Device, User, utcnow
from ..projections import feed_entry
from ..scope import audience
from .apply import Batch, Outcome, apply_batch
from .feed import BadCursor, Position, patients_sent, pull
from .records import RECORD_TYPES
from .shapes import MAX_CHANGES

__all__ = ["MAX_CHANGES", "BadCursor", "Position", "sync"]


def sync(
    actor: User, device: Device | None, changes: list[Any], cursor: Position, page_size: int,
    epoch: str,
) -> dict[str, Any]:  # fmt: skip
    """Apply each change in its own transaction, then return a page of the caller's feed,
    its cursor in this database's history (`epoch`, pwa/sync/restore.py).

    The database's write lock (SQLite's one, PostgreSQL's change counter) is held only while
    something is written. On SQLite that is three transactions: the push, if anything was
    sent; the pull, a read (`reading`) that waits for no writer; and the audit of which
    patients' records a member of staff was sent, written before the answer leaves. On
    PostgreSQL, whose reads wait for no one, the pull and the audit share the last.
    """
    device_id = device.id if device else None  # read now: a commit expires the device
    outcomes = _push(actor, device, changes) if changes else []
    if device is not None and not changes:
        _note_sync(device)
    seen_by = audience(actor)
    with reading():
        if device_id is not None:  # signed out since its token was checked: nothing is sent
            still_signed_in(device_id, lock=False)
        # apply_batch only ever gives back a record the caller may read (pwa.scope.may_read).
        conflicts = [feed_entry(o.server_record, seen_by) for o in outcomes if o.server_record]
        entries, after, more = pull(actor, cursor, page_size)
    if actor.is_staff:
        _audit_sent(actor.id, device_id, patients_sent(conflicts + entries))
    return {
        "results": [o.to_dict() for o in outcomes],
        "changes": conflicts + entries,
        "cursor": after.encode(epoch),
        "more": bool(more),
    }


def _audit_sent(
    user_id: uuid.UUID, device_id: uuid.UUID | None, patient_ids: set[uuid.UUID]
) -> None:
    """Record, before the answer leaves, whose records a member of staff's phone was sent."""
    if not patient_ids:
        return
    if device_id is not None:  # signed out since the read: the answer does not leave
        still_signed_in(device_id, lock=True)
    audit_reads("patient.sync_read", patient_ids, user_id, device_id)
    db.session.commit()


def _push(actor: User, device: Device | None, changes: list[Any]) -> list[Outcome]:
    """Store what the phone sent, with its audit rows, in one transaction (each change in its
    own SAVEPOINT: pwa/sync/apply.py)."""
    if device is not None:  # before anything is written; a revocation waits for the commit
        still_signed_in(device.id, lock=True)
    outcomes = apply_batch(changes, Batch(actor, device))
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
    return outcomes


def _note_sync(device: Device) -> None:
    """Write when a phone that sent nothing last synced, at most every SEEN_RESOLUTION: a
    sync that only pulls then writes nothing at all."""
    now = utcnow()
    if device.last_synced_at is None or now - device.last_synced_at > SEEN_RESOLUTION:
        db.session.execute(update(Device).where(Device.id == device.id)
                           .values(last_synced_at=now))  # fmt: skip
        db.session.commit()
