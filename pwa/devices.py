"""Enrol devices and check their tokens: how a phone proves who it syncs for."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from .database import reading
from .extensions import db
from .models import Device, PhoneKey, PushSubscription, User, utcnow

# last_seen_at is written at most this often, so a busy phone does not write on every request.
SEEN_RESOLUTION = timedelta(minutes=5)


def token_digest(token: str) -> str:
    """Return the stored form of a token.

    A plain SHA-256 is right here, unlike for passwords: tokens are 256 random bits, so there is
    nothing to guess, and a slow hash would slow every sync.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def enrol_device(
    user: User, name: str, web_session_id: uuid.UUID | None = None
) -> tuple[Device, str]:
    """Create a device for the user and return it with its token, which is shown only now.

    `web_session_id` is the signed-in page's session that enrolled it: signing that out ends it.
    """
    token = secrets.token_urlsafe(32)
    device = Device(
        user_id=user.id, name=name, token_hash=token_digest(token), created_at=utcnow(),
        last_seen_at=utcnow(), web_session_id=web_session_id,
    )  # fmt: skip
    db.session.add(device)
    db.session.flush()
    return device, token


@dataclass(frozen=True)
class TokenProblem:
    """Why a token was refused: the API turns this into its error response."""

    code: str  # invalid_token | token_expired | device_revoked (DESIGN.md's contract)
    status: int
    message: str


def device_for_token(token: str | None) -> Device | TokenProblem:
    """Return the device a bearer token belongs to, or why it cannot be used.

    Read without the write lock (`reading`): a phone's every request asks this, and on SQLite
    it would otherwise queue behind every writer. The device's last sighting is written, in a
    transaction of its own, at most every SEEN_RESOLUTION.
    """
    with reading():
        found = _device_for_token(token)
    if isinstance(found, Device):
        now = utcnow()
        if found.last_seen_at is None or now - found.last_seen_at > SEEN_RESOLUTION:
            db.session.execute(update(Device).where(Device.id == found.id)
                               .values(last_seen_at=now))  # fmt: skip
            db.session.commit()
    return found


def _device_for_token(token: str | None) -> Device | TokenProblem:
    device: Device | None = (
        db.session.scalar(db.select(Device).where(Device.token_hash == token_digest(token)))
        if token
        else None
    )
    if device is None:
        return TokenProblem("invalid_token", 401, "Sign in again on this device.")
    problem = _signed_out(device.revoked_at, device.ended_at, device.user.active)
    if problem is not None:
        return problem
    idle = timedelta(days=current_app.config["DEVICE_IDLE_DAYS"])
    lifetime = timedelta(days=current_app.config["DEVICE_MAX_DAYS"])
    now = utcnow()
    idle_too_long = device.last_seen_at is not None and now - device.last_seen_at > idle
    if idle_too_long or now - device.created_at > lifetime:
        return TokenProblem("token_expired", 401, "Sign in again to carry on syncing.")
    return device


def _signed_out(
    revoked_at: datetime | None, ended_at: datetime | None, user_active: bool
) -> TokenProblem | None:
    if revoked_at is not None or not user_active:
        return TokenProblem(
            "device_revoked", 403, "This device has been signed out. Its data will be removed."
        )
    # Nothing is lost on a 401: the phone keeps its data and carries on after a fresh sign-in.
    if ended_at is not None:
        return TokenProblem(
            # The contract's code for "sign in again, keep everything"; the message says why.
            "token_expired",
            401,
            "This device was signed out. Sign in again to carry on syncing.",
        )
    return None


class DeviceSignedOut(Exception):
    """The device was signed out or revoked after its token was checked (`still_signed_in`)."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def still_signed_in(device_id: uuid.UUID, *, lock: bool) -> None:
    """Ask again, in this transaction, whether the device is still signed in; raise
    DeviceSignedOut if not.

    The token is checked before the transactions that read and write for it (and on SQLite
    without the write lock), so a revocation can commit in between. Asked first in a writing
    transaction with `lock` (the device's row locked on PostgreSQL; SQLite's write lock is
    already held), a revocation is either wholly before the write, and refused here, or waits
    for it to commit. Asked in a read, it sees the same moment as the read. The lock is
    exclusive, not shared: the sync writes the row itself (last_synced_at), and two requests
    of one phone each holding a shared lock and wanting to write it would deadlock.
    """
    query = (
        select(Device.revoked_at, Device.ended_at, User.active)
        .join(User, User.id == Device.user_id)
        .where(Device.id == device_id)
    )
    if lock:
        query = query.with_for_update(of=Device)
    row = db.session.execute(query).one_or_none()
    problem = (
        TokenProblem("invalid_token", 401, "Sign in again on this device.")
        if row is None
        else _signed_out(*row)
    )
    if problem is not None:
        raise DeviceSignedOut(problem)


def revoke_devices_of(user: User) -> None:
    """Cut off every device of a user (on deactivation): each phone wipes what it holds."""
    revoke_devices(Device.user_id == user.id)


def revoke_devices(which: Any) -> None:
    """Cut off the chosen devices: each wipes what it holds when it next reaches the server,
    and their device keys are never given out again, so a phone that never comes back online
    cannot open its records once its PIN copy is gone (pwa/phone_keys.py)."""
    db.session.execute(
        update(PhoneKey)
        .where(
            PhoneKey.id.in_(select(Device.phone_key_id).where(which)), PhoneKey.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        update(Device).where(which, Device.revoked_at.is_(None)).values(revoked_at=utcnow()),
        execution_options={"synchronize_session": "fetch"},
    )
    _stop_pushes(which)


def end_devices(which: Any, reason: str) -> None:
    """Sign the chosen devices out: their tokens stop working and their pushes stop coming.

    Unlike a revocation the phones keep every record (their outboxes above all) and carry on
    after their person signs in again. `reason`: signed_out, password_changed, role_changed.
    """
    db.session.execute(
        update(Device)
        .where(which, Device.ended_at.is_(None), Device.revoked_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason),
        execution_options={"synchronize_session": "fetch"},
    )
    _stop_pushes(which)


def _stop_pushes(which: Any) -> None:
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.device_id.in_(select(Device.id).where(which))
        )
    )
