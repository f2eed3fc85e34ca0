"""Write a change to a record that exists, keeping what never changes."""

from __future__ import annotations

import uuid
from typing import Any

from ..models import AssetReferral, CheckIn, FollowUp
from ..scope import Refused


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
