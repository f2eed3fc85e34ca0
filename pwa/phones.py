"""The phones people use, as a practice admin sees them, and cutting one off.

A phone is what a person holds: each sign-in on it enrols again (a new Device row and token),
but every enrolment of one phone shares its device key (pwa/phone_keys.py), so the rows are
grouped by that key; an enrolment from before keys existed stands alone. A phone is named in
URLs by its newest enrolment's id. Revoking it revokes every enrolment that shares its key,
the key itself and its push subscriptions (devices.revoke_devices), and no other phone of the
same person. Nothing here reads patient data: the page shows counts, never records.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .audit import audit
from .devices import revoke_devices
from .extensions import db
from .models import Device, SyncReview, User


@dataclass(frozen=True)
class Phone:
    ref: uuid.UUID  # the newest enrolment: names the phone in URLs
    key_id: str | None
    user: User
    name: str
    enrolled_at: datetime  # its first enrolment
    last_seen_at: datetime | None
    last_synced_at: datetime | None
    state: str  # active | signed_out | revoked
    waiting_for_review: int

    @property
    def state_name(self) -> str:
        return {"active": "Signed in", "signed_out": "Signed out", "revoked": "Cut off"}[self.state]

    def which(self) -> Any:
        """The enrolments of this phone, as a condition on Device."""
        return Device.phone_key_id == self.key_id if self.key_id else Device.id == self.ref


def _latest(values: list[datetime | None]) -> datetime | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def phones(user: User | None = None) -> list[Phone]:
    """Every phone, or `user`'s: signed in first, then by when each was last seen."""
    query = select(Device).options(joinedload(Device.user))
    if user is not None:
        query = query.where(Device.user_id == user.id)
    groups: dict[str, list[Device]] = defaultdict(list)
    for device in db.session.scalars(query):
        groups[device.phone_key_id or str(device.id)].append(device)
    open_reviews = db.session.execute(
        select(SyncReview.device_id, func.count())
        .where(SyncReview.resolved_at.is_(None), SyncReview.device_id.is_not(None))
        .group_by(SyncReview.device_id)
    )
    waiting: dict[uuid.UUID | None, int] = {device_id: n for device_id, n in open_reviews}
    found = [_phone(devices, waiting) for devices in groups.values()]
    order = {"active": 0, "signed_out": 1, "revoked": 2}

    def place(p: Phone) -> tuple[int, str, float]:
        return (order[p.state], p.user.display_name, -(p.last_seen_at or p.enrolled_at).timestamp())

    return sorted(found, key=place)


def _phone(devices: list[Device], waiting: dict[uuid.UUID | None, int]) -> Phone:
    newest = max(devices, key=lambda d: d.created_at)
    if any(d.revoked_at is not None for d in devices):
        state = "revoked"
    elif newest.user.active and any(d.ended_at is None for d in devices):
        state = "active"
    else:
        state = "signed_out"
    return Phone(
        ref=newest.id,
        key_id=newest.phone_key_id,
        user=newest.user,
        name=newest.name,
        enrolled_at=min(d.created_at for d in devices),
        last_seen_at=_latest([d.last_seen_at for d in devices]),
        last_synced_at=_latest([d.last_synced_at for d in devices]),
        state=state,
        waiting_for_review=sum(waiting.get(d.id, 0) for d in devices),
    )


def phone(ref: uuid.UUID) -> Phone | None:
    """The phone whose newest enrolment is `ref`, or None."""
    device = db.session.get(Device, ref)
    if device is None:
        return None
    for found in phones(device.user):
        if found.ref == ref:
            return found
    return None


def revoke_phone(found: Phone) -> None:
    """Cut one phone off: it wipes what it holds when it next reaches the server, and its key
    is never given out again. The person's other phones carry on. Audited; the caller commits."""
    revoke_devices(found.which())
    audit("device.revoke", record_type="device", record_id=str(found.ref))
