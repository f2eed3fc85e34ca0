"""Check-ins to look at: a patient's own check-in that crossed a help threshold waits in their
link worker's list until someone marks it seen.

Which check-ins count is measures.help_reasons with the practice's thresholds (read from the
values, so a practice's new thresholds apply to what is waiting); who may see and mark one is
the trust boundary's (scope.readable_patients). Seen is kept beside the check-in (CheckInLook),
once, by whoever looked first; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .audit import audit
from .database import dialect_insert
from .extensions import db
from .measures import HELP_REASONS, HelpThresholds, help_reasons
from .models import CheckIn, CheckInLook, Patient, User, utcnow
from .scope import readable_patients


@dataclass(frozen=True)
class ToLookAt:
    check_in: CheckIn
    reasons: tuple[str, ...]

    @property
    def reason_words(self) -> str:
        return ", ".join(HELP_REASONS[reason] for reason in self.reasons)


def to_look_at(user: User) -> list[ToLookAt]:
    """The self check-ins of the active patients `user` may read that crossed a threshold and
    nobody has marked seen, newest first."""
    thresholds = HelpThresholds.from_config(current_app.config)
    readable = (
        readable_patients(user).where(Patient.status == "active").with_only_columns(Patient.id)
    )
    rows = db.session.scalars(
        select(CheckIn)
        .outerjoin(CheckInLook, CheckInLook.check_in_id == CheckIn.id)
        .where(
            CheckIn.source == "self",
            CheckInLook.check_in_id.is_(None),
            CheckIn.patient_id.in_(readable.scalar_subquery()),
        )
        .options(joinedload(CheckIn.patient))
        .order_by(CheckIn.received_at.desc())
    )
    found = []
    for check_in in rows:
        reasons = help_reasons(check_in.scores, thresholds)
        if reasons:
            found.append(ToLookAt(check_in, reasons))
    return found


def patients_to_look_at(waiting: list[ToLookAt]) -> set[uuid.UUID]:
    return {item.check_in.patient_id for item in waiting}


def mark_seen(user: User, check_in: CheckIn) -> bool:
    """Mark a check-in seen by `user` (who may read its patient: the caller has checked);
    return False if someone already had. Audited either way: this person looked."""
    inserted = db.session.execute(
        dialect_insert(CheckInLook.__table__)
        .values(check_in_id=check_in.id, seen_by_id=user.id)
        .on_conflict_do_nothing()
        .returning(CheckInLook.check_in_id)
    ).first()
    audit("checkin.seen", check_in, patient_id=check_in.patient_id)
    if inserted is not None:
        # Its content stays as it is; the touch gives it a new version and change number, so
        # every phone holding it hears it has been seen.
        check_in.updated_at = utcnow()
    return inserted is not None


def seen(check_in: CheckIn) -> CheckInLook | None:
    return db.session.get(CheckInLook, check_in.id)
