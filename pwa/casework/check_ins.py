"""Record a wellbeing check-in: immutable once stored, so a correction is a new one that amends."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..audit import audit
from ..extensions import db
from ..measures import MeasureError, score_all
from ..models import CheckIn, FollowUp, Patient, User, utcnow
from ..scope import Refused, check_write
from .changes import ids_taken_elsewhere, write

# A patient's own check-in answers a self check-in follow-up due up to a day later: doing it
# the evening before is doing it.
SELF_CHECK_IN_EARLY = timedelta(days=1)


def new_check_in_row(
    actor: User,
    patient: Patient | None,
    record_id: uuid.UUID,
    values: dict[str, Any],
    device_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return the row a new check-in is stored as, scored by the server.

    `values` holds captured_at (aware), measures, needs, notes and amends_id; anything the phone
    said about scores, author or source is the server's to decide.
    """
    patient = check_write(actor, patient, record_type="checkin", adding=True, field="patient_id")
    try:
        scores = score_all(values["measures"])
    except MeasureError as problem:
        raise Refused("validation_failed", {"measures": [str(problem)]}) from None
    amends = values.get("amends_id")
    if amends is not None:
        amended = db.session.get(CheckIn, amends)
        if amended is None or amended.patient_id != patient.id:
            raise Refused(
                "validation_failed", {"amends": ["Must be a check-in of the same patient."]}
            )
    offset = values["captured_at"].utcoffset()
    return {
        **values,
        "id": record_id,
        "patient_id": patient.id,
        "scores": scores,
        "captured_utc_offset": int(offset.total_seconds() // 60) if offset else 0,
        "author_id": actor.id,
        "source": "self" if actor.role == "patient" else "link_worker",
        "received_at": utcnow(),
        "device_id": device_id,
    }


def record_check_in(
    actor: User, patient: Patient, record_id: uuid.UUID, values: dict[str, Any]
) -> tuple[CheckIn, bool]:
    """Record a check-in from a page once; return it and whether it is new.

    The page's form carries the id it was shown with, so the same form posted twice finds the
    first. An id that is another patient's check-in is never revealed or touched: a new id.
    """
    existing = db.session.get(CheckIn, record_id)
    if existing is not None and existing.patient_id == patient.id:
        return existing, False
    taken = existing is not None or bool(ids_taken_elsewhere([record_id], CheckIn))
    row = new_check_in_row(actor, patient, uuid.uuid4() if taken else record_id, values)
    check_in = CheckIn(**row)
    db.session.add(check_in)
    return check_in, True


def close_due_self_check_ins(patient_id: uuid.UUID, captured_at: datetime) -> int:
    """A patient's own check-in does what their `self_checkin` follow-ups due by then asked:
    mark them done (the server's doing, audited), and return how many.

    "By then" is when the check-in was captured, not when it arrived: one kept on a phone for
    weeks answers the follow-ups due before it, not today's. Called by the page and the sync
    path alike, in the transaction that stored the check-in. Each follow-up is written in its
    own SAVEPOINT: one a link worker changed at the same moment is left for them, and never
    fails the check-in.
    """
    now = utcnow()
    due = db.session.scalars(
        select(FollowUp).where(
            FollowUp.patient_id == patient_id,
            FollowUp.kind == "self_checkin",
            FollowUp.done_at.is_(None),
            FollowUp.due_at <= captured_at + SELF_CHECK_IN_EARLY,
        )
    )
    closed = 0
    for follow_up in list(due):
        savepoint = db.session.begin_nested()
        try:
            write(follow_up, {"done_at": now})
            db.session.flush()
            savepoint.commit()
        except StaleDataError:
            savepoint.rollback()
            continue
        audit("followup.done_by_self_check_in", follow_up, patient_id=patient_id)
        closed += 1
    return closed
