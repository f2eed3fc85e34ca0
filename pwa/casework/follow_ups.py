"""Book a follow-up (a visit, a call, a patient's own check-in) and mark it done."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from ..extensions import db
from ..models import FollowUp, Patient, User, utcnow
from ..scope import check_write
from .assignment import assignee_for
from .changes import keep_patient, write


def new_follow_up_row(
    actor: User, patient: Patient | None, record_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any]:
    """Return the row a new follow-up is stored as, assigned as the rules allow."""
    patient = check_write(actor, patient, record_type="followup", adding=True, field="patient_id")
    return {
        **values,
        "id": record_id,
        "patient_id": patient.id,
        "assigned_to_id": assignee_for(actor, patient, values.get("assigned_to_id"), "assigned_to"),
    }


def add_follow_up(actor: User, patient: Patient, values: dict[str, Any]) -> FollowUp:
    """Book a follow-up (from a page) and return it, not yet committed."""
    follow_up = FollowUp(**new_follow_up_row(actor, patient, uuid.uuid4(), values))
    db.session.add(follow_up)
    return follow_up


def change_follow_up(actor: User, follow_up: FollowUp, values: dict[str, Any]) -> None:
    """Change a follow-up of a patient the caller may write, keeping its patient."""
    check_write(actor, follow_up.patient, record_type="followup", adding=False, field="id")
    keep_patient(follow_up, values)
    values = dict(values)
    if values.get("outcome") is None:  # not said (an older phone, a page): the stored one stays
        values.pop("outcome", None)
    if "assigned_to_id" in values:
        values["assigned_to_id"] = assignee_for(
            actor, follow_up.patient, values["assigned_to_id"], "assigned_to"
        )
    write(follow_up, values)


# "Mark as done" is offered from a day before a follow-up is due: tomorrow morning's call may be
# made tonight, but next week's visit cannot have happened (a mis-tap). The phone's record page
# is served this (as hours) with the shell. A phone's own done_at is taken whenever it says:
# what was captured is never refused for it.
DONE_EARLY = timedelta(days=1)


def may_mark_done(follow_up: FollowUp, now: datetime) -> bool:
    """Whether a page offers (and takes) "Mark as done" for this follow-up now."""
    return follow_up.done_at is None and follow_up.due_at <= now + DONE_EARLY


def complete_follow_up(actor: User, follow_up: FollowUp, outcome: str | None = None) -> bool:
    """Mark a follow-up done now, saying how it went if known; False if it already was done."""
    if follow_up.done_at is not None:
        return False
    change_follow_up(actor, follow_up, {"done_at": utcnow(), "outcome": outcome})
    return True
