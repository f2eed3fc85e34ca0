"""Two-way sync between phones and the server: apply what the phone sent, then send what changed.

`apply.py` stores one change exactly once; `feed.py` pages out the caller's changes by cursor;
`records.py` reads each record type's fields. The HTTP side lives in `pwa/api.py`.
"""

from __future__ import annotations

from typing import Any

from ..audit import audit
from ..extensions import db
from ..models import Device, User
from .apply import apply_change
from .feed import BadCursor, Position, patients_sent, pull, record_entry

MAX_CHANGES = 500

__all__ = ["MAX_CHANGES", "BadCursor", "Position", "sync"]


def sync(
    actor: User, device: Device | None, changes: list[Any], cursor: Position, page_size: int
) -> dict[str, Any]:
    """Apply each change in its own transaction, then return a page of the caller's feed."""
    outcomes = [apply_change(change, actor, device) for change in changes]
    conflicts = [record_entry(o.server_record) for o in outcomes if o.server_record is not None]
    entries, after, more = pull(actor, cursor, page_size)
    if actor.is_staff:
        for patient_id in patients_sent(conflicts + entries):
            audit(
                "patient.sync_read",
                record_type="patients",
                record_id=str(patient_id),
                patient_id=patient_id,
                user_id=actor.id,
                device_id=device.id if device else None,
            )
        db.session.commit()
    return {
        "results": [o.to_dict() for o in outcomes],
        "changes": conflicts + entries,
        "cursor": after.encode(),
        "more": more,
    }
