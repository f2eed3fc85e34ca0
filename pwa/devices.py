"""Enrol devices and check their tokens: how a phone proves who it syncs for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from .extensions import db
from .models import Device, PushSubscription, User, utcnow

# last_seen_at is written at most this often, so a busy phone does not write on every request.
SEEN_RESOLUTION = timedelta(minutes=5)


def token_digest(token: str) -> str:
    """Return the stored form of a token.

    A plain SHA-256 is right here, unlike for passwords: tokens are 256 random bits, so there is
    nothing to guess, and a slow hash would slow every sync.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def enrol_device(user: User, name: str) -> tuple[Device, str]:
    """Create a device for the user and return it with its token, which is shown only now."""
    token = secrets.token_urlsafe(32)
    device = Device(
        user_id=user.id, name=name, token_hash=token_digest(token), last_seen_at=utcnow()
    )
    db.session.add(device)
    db.session.flush()
    return device, token


@dataclass(frozen=True)
class TokenProblem:
    """Why a token was refused: the API turns this into its error response."""

    code: str  # invalid_token | token_expired | device_revoked
    status: int
    message: str


def device_for_token(token: str | None) -> Device | TokenProblem:
    """Return the device a bearer token belongs to, or why it cannot be used."""
    device = (
        db.session.scalar(db.select(Device).where(Device.token_hash == token_digest(token)))
        if token
        else None
    )
    if device is None:
        return TokenProblem("invalid_token", 401, "Sign in again on this device.")
    if device.revoked_at is not None or not device.user.active:
        return TokenProblem(
            "device_revoked", 403, "This device has been signed out. Its data will be removed."
        )
    idle = timedelta(days=current_app.config["DEVICE_IDLE_DAYS"])
    now = utcnow()
    if device.last_seen_at is not None and now - device.last_seen_at > idle:
        # Nothing is lost: the phone keeps its data and carries on after a fresh sign-in.
        return TokenProblem("token_expired", 401, "Sign in again to carry on syncing.")
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_RESOLUTION:
        device.last_seen_at = now
        db.session.commit()
    return device


def revoke_device(device: Device) -> None:
    """Sign one device out (the phone signing itself out)."""
    _revoke(Device.id == device.id)


def revoke_devices_of(user: User) -> None:
    """Sign out every device of a user (on deactivation), not when a token happens to expire."""
    _revoke(Device.user_id == user.id)


def _revoke(which: Any) -> None:
    """Stop the chosen devices' tokens working, and their pushes coming, at once."""
    db.session.execute(
        update(Device).where(which, Device.revoked_at.is_(None)).values(revoked_at=utcnow()),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.device_id.in_(select(Device.id).where(which))
        )
    )
