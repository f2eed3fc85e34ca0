"""Web Push: the server's VAPID key pair, and the subscriptions phones register with it.

Sending (through pywebpush) and the reminders themselves come with issue 4's next steps.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from py_vapid import Vapid02
from sqlalchemy import delete

from .database import dialect_insert
from .extensions import db
from .models import Device, PushSubscription

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def vapid_key() -> Vapid02:
    """Return the app's VAPID key pair, generating it into instance/ the first time."""
    cached = current_app.extensions.get("vapid")
    if cached is None:
        path = Path(current_app.config.get("VAPID_PRIVATE_KEY_FILE") or
                    Path(current_app.instance_path) / "vapid_private_key.pem")  # fmt: skip
        cached = current_app.extensions["vapid"] = _load_or_create(path)
    return cached


def _load_or_create(path: Path) -> Vapid02:
    if not path.exists():
        key = Vapid02()
        key.generate_keys()
        # O_EXCL: if two processes start at once, one writes and the other reads what it wrote.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return Vapid02.from_file(str(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.private_pem())
        return key
    return Vapid02.from_file(str(path))


def public_key() -> str:
    """Return the public key as browsers want it: base64url of the 65-byte uncompressed point."""
    raw = vapid_key().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _urlsafe_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def read_subscription(body: dict[str, Any]) -> tuple[dict[str, str] | None, dict[str, list[str]]]:
    """Read `PushSubscription.toJSON()`; return (values, errors by field)."""
    errors: dict[str, list[str]] = {}
    endpoint = body.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) and len(endpoint) <= 1000 else None
    insecure_ok = current_app.config["PUSH_ALLOW_LOOPBACK_HTTP"] and parts is not None and (
        parts.scheme == "http" and parts.hostname in LOOPBACK
    )  # fmt: skip
    if parts is None or not parts.hostname or not (parts.scheme == "https" or insecure_ok):
        errors["endpoint"] = ["Must be the push service's https URL."]
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    p256dh, auth = _urlsafe_bytes(keys.get("p256dh")), _urlsafe_bytes(keys.get("auth"))
    if p256dh is None or len(p256dh) != 65 or p256dh[0] != 4:
        errors["keys.p256dh"] = ["Must be a base64url P-256 public key (65 bytes)."]
    if auth is None or len(auth) != 16:
        errors["keys.auth"] = ["Must be a base64url 16-byte secret."]
    if errors:
        return None, errors
    return {"endpoint": endpoint, "p256dh": keys["p256dh"], "auth": keys["auth"]}, {}


def save_subscription(device: Device, values: dict[str, str]) -> None:
    """Keep one subscription per device: this endpoint, replacing any earlier one."""
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.device_id == device.id,
            PushSubscription.endpoint != values["endpoint"],
        )
    )
    table = PushSubscription.__table__
    statement = dialect_insert(table).values(device_id=device.id, failures=0, **values)
    # An endpoint belongs to one browser: if another device row had it, it moves here.
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.endpoint],
            set_={"device_id": device.id, "p256dh": values["p256dh"], "auth": values["auth"],
                  "failures": 0},
        )
    )  # fmt: skip


def remove_subscription(device: Device, endpoint: Any) -> None:
    """Forget this device's subscription to an endpoint (nothing if it has none)."""
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.device_id == device.id, PushSubscription.endpoint == endpoint
        )
    )
