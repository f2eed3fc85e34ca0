"""Write a change to a record that exists, keeping what never changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, union_all

from ..extensions import db
from ..models import AssetReferral, CheckIn, CommunityAsset, Contact, FollowUp, Patient
from ..scope import Refused

# Every record type a phone holds. A phone keeps them by id alone (static/js/local-store.mjs),
# so one id must name one record of one type, or a record would overwrite another on a phone.
HELD_TYPES: tuple[type[Any], ...] = (Patient, CheckIn, FollowUp, AssetReferral, Contact,
                                     CommunityAsset)  # fmt: skip
ID_TAKEN = "This id is already another record's. Make a new one."


def ids_taken_elsewhere(ids: Iterable[uuid.UUID], model: type[Any]) -> set[uuid.UUID]:
    """Return which of these ids a record of another type already has: one query.

    Within the new record's own table the insert itself decides (ON CONFLICT, or the page's
    own lookup); this is the rest of the id space.
    """
    wanted = list(ids)
    if not wanted:
        return set()
    others = [select(m.id.label("id")).where(m.id.in_(wanted))
              for m in HELD_TYPES if m is not model]  # fmt: skip
    return set(db.session.scalars(select(union_all(*others).subquery().c.id)))


def keep_patient(record: CheckIn | FollowUp | AssetReferral, values: dict[str, Any]) -> None:
    """Refuse to move a record to another patient: moving work is reassigning the patient."""
    given: uuid.UUID | None = values.get("patient_id")
    if given is not None and given != record.patient_id:
        raise Refused(
            "validation_failed",
            {
                "patient_id": [
                    "A record's patient never changes. Record it anew for the other patient."
                ]
            },
        )


def write(record: Any, values: dict[str, Any]) -> None:
    """Set each value on the record; the flush raises StaleDataError if someone got there first."""
    for name, value in values.items():
        setattr(record, name, value)
