"""Phones register for Web Push: the server's key, and one subscription per device."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import PushSubscription, User

from .conftest import sign_in
from .test_api_sync import enrol


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_subscription(
    endpoint: str = "https://fcm.googleapis.com/fcm/send/send/abc",
) -> dict[str, Any]:
    """What PushSubscription.toJSON() gives: a real P-256 key and a 16-byte auth secret."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"endpoint": endpoint, "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}}  # fmt: skip


def subscribe(client: FlaskClient, token: str, body: Any, status: int = 201) -> Any:
    response = client.post("/api/v1/push/subscriptions", json=body,
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == status, response.json
    return response.json


def test_the_key_is_a_p256_point_generated_once_into_the_instance_folder(
    client: FlaskClient, app: Flask
) -> None:
    key = client.get("/api/v1/push/key").json["public_key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # a point on the curve
    path = Path(app.instance_path) / "vapid_private_key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    app.extensions.pop("vapid")  # as a restarted server would
    assert client.get("/api/v1/push/key").json["public_key"] == key


def test_a_device_keeps_one_subscription_and_can_drop_it(client: FlaskClient, worker: User) -> None:
    token = enrol(client, worker)
    first, second = (
        browser_subscription(),
        browser_subscription("https://fcm.googleapis.com/fcm/send/x/2"),
    )
    subscribe(client, token, first)
    subscribe(client, token, first)  # again: still one
    subscribe(client, token, second)  # pushsubscriptionchange: the new one replaces the old
    stored = db.session.scalars(db.select(PushSubscription)).all()
    assert [s.endpoint for s in stored] == [second["endpoint"]]
    assert stored[0].p256dh == second["keys"]["p256dh"]
    db.session.commit()
    response = client.delete("/api/v1/push/subscriptions", json={"endpoint": second["endpoint"]},
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 204
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://push.example.net/a"}, "endpoint"),
        ({"endpoint": "http://127.0.0.1:9/push"}, "endpoint"),  # only when configured for tests
        ({"endpoint": "javascript:alert(1)"}, "endpoint"),
        ({"endpoint": 7}, "endpoint"),
        (
            {"keys": {"p256dh": b64url(b"\x04" + b"0" * 10), "auth": b64url(b"1" * 16)}},
            "keys.p256dh",
        ),
        ({"keys": {"p256dh": "not base64!", "auth": b64url(b"1" * 16)}}, "keys.p256dh"),
        ({"keys": {"auth": b64url(b"1" * 15)}}, "keys.p256dh"),  # missing: said first
        (
            {"keys": {"p256dh": b64url(b"\x04" + b"0" * 64), "auth": b64url(b"1" * 15)}},
            "keys.auth",
        ),
        ({"keys": None}, "keys"),
        # 65 bytes starting 0x04, but not a point on the curve: nothing can encrypt to it.
        (
            {"keys": {"p256dh": b64url(b"\x04" + bytes(64)), "auth": b64url(b"1" * 16)}},
            "keys.p256dh",
        ),
    ],
)
def test_an_unusable_subscription_is_refused_with_the_field_named(
    client: FlaskClient, worker: User, change: dict[str, Any], field: str
) -> None:
    token = enrol(client, worker)
    body = browser_subscription() | change
    error = subscribe(client, token, body, status=422)["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]


def test_subscribing_needs_a_device_token(client: FlaskClient) -> None:
    response = client.post("/api/v1/push/subscriptions", json=browser_subscription())
    assert response.status_code == 401
    assert client.post("/api/v1/push/subscriptions", data="[").status_code == 401


def test_signing_a_phone_out_or_deactivating_its_user_ends_its_subscription(
    client: FlaskClient, worker: User, admin: User
) -> None:
    signed_out, other_phone = enrol(client, worker), enrol(client, worker)
    subscribe(client, signed_out, browser_subscription("https://fcm.googleapis.com/fcm/send/a"))
    subscribe(client, other_phone, browser_subscription("https://fcm.googleapis.com/fcm/send/b"))
    response = client.delete("/api/v1/devices/current",
                             headers={"Authorization": f"Bearer {signed_out}"})  # fmt: skip
    assert response.status_code == 204
    endpoints = db.session.scalars(db.select(PushSubscription.endpoint)).all()
    assert endpoints == ["https://fcm.googleapis.com/fcm/send/b"]

    sign_in(client, admin)
    response = client.post(f"/admin/users/{worker.id}/active")
    assert response.status_code == 302
    assert not db.session.get(User, worker.id).active
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0
