"""Web Push: the server's VAPID key pair, the subscriptions phones register, and sending one
push through pywebpush. What to send and when is pwa/reminders.py."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import delete

from .database import dialect_insert
from .extensions import db
from .models import Device, PushSubscription, utcnow
from .push_endpoints import endpoint_problem, send_problem

log = logging.getLogger(__name__)


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


def vapid_subject() -> str:
    """Return who runs this server, for push services: refuse to send without a real one."""
    subject = current_app.config["VAPID_SUBJECT"]
    if not subject or not subject.startswith(("mailto:", "https://")):
        raise RuntimeError("Set VAPID_SUBJECT to a mailto: or https: address to send pushes.")
    return subject


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


def _on_the_curve(point: bytes) -> bool:
    """Whether the bytes are an uncompressed P-256 point that encryption to it will accept."""
    if len(point) != 65 or point[0] != 4:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return True


def read_subscription(body: dict[str, Any]) -> tuple[dict[str, str] | None, dict[str, list[str]]]:
    """Read `PushSubscription.toJSON()`; return (values, errors by field)."""
    errors: dict[str, list[str]] = {}
    endpoint = body.get("endpoint")
    problem = endpoint_problem(endpoint)
    if problem is None:
        # A name that does not resolve now is checked again before each send.
        with contextlib.suppress(OSError, UnicodeError):
            problem = send_problem(str(endpoint))
    if problem is not None:
        errors["endpoint"] = [problem]
    keys: dict[str, Any] = body["keys"] if isinstance(body.get("keys"), dict) else {}
    p256dh, auth = _urlsafe_bytes(keys.get("p256dh")), _urlsafe_bytes(keys.get("auth"))
    if p256dh is None or not _on_the_curve(p256dh):
        errors["keys.p256dh"] = ["Must be a base64url P-256 public key (65 bytes)."]
    if auth is None or len(auth) != 16:
        errors["keys.auth"] = ["Must be a base64url 16-byte secret."]
    if errors:
        return None, errors
    return {"endpoint": str(endpoint), "p256dh": keys["p256dh"], "auth": keys["auth"]}, {}


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


@dataclass(frozen=True)
class Delivery:
    """What happened to one push: `sent`, `gone` (subscription deleted), `retry` (after
    `retry_after` seconds, if the service said), `misconfigured` (400/403: our fault),
    `failed` (no answer) or `forbidden` (not an endpoint we send to: subscription deleted)."""

    outcome: str
    status: int | None = None
    retry_after: int | None = None


def send(
    subscription: PushSubscription, payload: dict[str, Any], *, topic: str,
    urgency: str = "normal", ttl: int = 6 * 3600,
) -> Delivery:  # fmt: skip
    """Send one push, record how it went on the subscription, and say what happened."""
    delivery = post(keys_of(subscription), payload, topic=topic, urgency=urgency, ttl=ttl)
    record(subscription, delivery)
    return delivery


def keys_of(subscription: PushSubscription) -> dict[str, Any]:
    """What pywebpush needs to reach and encrypt for one subscription."""
    return {"endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}  # fmt: skip


def post(
    keys: dict[str, Any], payload: dict[str, Any], *, topic: str, urgency: str = "normal",
    ttl: int = 6 * 3600,
) -> Delivery:  # fmt: skip
    """Post one push to its push service and say what happened; touches no database.

    Callers hold no transaction open meanwhile: on SQLite that would stop every other write
    for as long as the push service takes to answer. The payload must carry no patient detail:
    a neutral title and body, a tag and a URL.
    An endpoint that is no longer one the server sends to (pwa/push_endpoints.py: checked again
    here, since a name can resolve somewhere new) is `forbidden` and never contacted.
    """
    subject = vapid_subject()
    try:
        problem = send_problem(keys["endpoint"])
    except (OSError, UnicodeError):  # the name did not resolve: like no answer, try later
        return Delivery("failed")
    if problem is not None:
        log.warning("Not sending to a push endpoint: %s", problem)
        return Delivery("forbidden")
    session = requests.Session()
    session.max_redirects = 0  # a push service never redirects; follow nothing anywhere
    try:
        webpush(
            keys, json.dumps(payload), vapid_private_key=vapid_key(),
            vapid_claims={"sub": subject},  # a fresh dict each time: pywebpush changes it
            ttl=ttl, headers={"Urgency": urgency, "Topic": topic},
            timeout=current_app.config["PUSH_TIMEOUT_SECONDS"], requests_session=session,
        )  # fmt: skip
    except WebPushException as error:
        return _failed(error.response)
    except requests.RequestException:
        return Delivery("failed")
    except (ValueError, TypeError):
        # Keys nothing can encrypt to (stored before they were checked): never retried.
        log.warning("Not sending to a push subscription whose keys cannot be used")
        return Delivery("forbidden")
    finally:
        session.close()
    return Delivery("sent", 201)


def _failed(response: Any) -> Delivery:
    status = getattr(response, "status_code", None)
    if status in (404, 410):  # the browser unsubscribed, or the subscription expired
        return Delivery("gone", status)
    if status in (400, 403, 413):
        log.error("Push service refused our request (%s): check the VAPID key and subject", status)
        return Delivery("misconfigured", status)
    retry_after = getattr(response, "headers", {}).get("Retry-After", "")
    return Delivery("retry", status, int(retry_after) if retry_after.isdigit() else None)


def record(subscription: PushSubscription, delivery: Delivery) -> None:
    """Keep what a push did on its subscription: last success, failures, or gone for good."""
    if delivery.outcome == "sent":
        subscription.last_success_at = utcnow()
        subscription.failures = 0
    elif delivery.outcome in ("gone", "forbidden"):
        db.session.delete(subscription)
    else:
        subscription.failures += 1
