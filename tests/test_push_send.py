"""Sending one push to a fake push service on 127.0.0.1 that checks what a phone would get.

The fake verifies the VAPID signature and decrypts the aes128gcm body with the subscription's
private key, so these tests assert what the phone would actually receive.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import PushSubscription, User
from pwa.push import public_key, send

from .test_api_sync import enrol

SUBJECT = "mailto:practice-it@example.org"
PAYLOAD = {"title": "Link worker", "body": "3 follow-ups due today", "tag": "follow-ups",
           "url": "/caseload"}  # fmt: skip


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "VAPID_SUBJECT": SUBJECT, "PUSH_ALLOW_LOOPBACK_HTTP": True}


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakePushService:
    """Answers each endpoint path with a chosen status; keeps every request it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, dict[str, str]]] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                service.received.append({"path": self.path, "headers": headers, "body": body})
                status, answer = service.answers.get(self.path, (201, {}))
                self.send_response(status)
                for name, value in answer.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = FakePushService()
    yield service
    service.server.shutdown()


@pytest.fixture
def phone(client: FlaskClient, worker: User, push_service: FakePushService) -> Any:
    """A phone's push keys, subscribed through the API like the page will do."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    token = enrol(client, worker)

    def subscribe(path: str) -> PushSubscription:
        body = {"endpoint": f"{push_service.origin}{path}",
                "keys": {"p256dh": base64.urlsafe_b64encode(point).decode().rstrip("="),
                         "auth": base64.urlsafe_b64encode(auth).decode().rstrip("=")}}  # fmt: skip
        response = client.post("/api/v1/push/subscriptions", json=body,
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 201
        return db.session.scalar(
            db.select(PushSubscription).where(PushSubscription.endpoint == body["endpoint"])
        )

    return type("Phone", (), {"private": private, "auth": auth, "subscribe": subscribe})


def vapid_claims(authorization: str, origin: str) -> dict[str, Any]:
    """Check the VAPID header as a push service does; return the JWT's claims."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    assert parts["k"] == public_key()
    head, claims, signature = parts["t"].split(".")
    raw = unb64(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    decoded = json.loads(unb64(claims))
    assert decoded["aud"] == origin and decoded["sub"] == SUBJECT
    assert decoded["exp"] > time.time()
    return decoded


def test_a_push_arrives_signed_encrypted_and_with_its_delivery_headers(
    phone: Any, push_service: FakePushService
) -> None:
    subscription = phone.subscribe("/push/a")
    delivery = send(subscription, PAYLOAD, topic="follow-ups", urgency="normal")
    db.session.commit()
    assert delivery.outcome == "sent"
    [request] = push_service.received
    headers = request["headers"]
    vapid_claims(headers["authorization"], push_service.origin)
    assert (headers["ttl"], headers["urgency"], headers["topic"]) == ("21600", "normal",
                                                                       "follow-ups")  # fmt: skip
    assert headers["content-encoding"] == "aes128gcm"
    plain = http_ece.decrypt(request["body"], private_key=phone.private, auth_secret=phone.auth,
                             version="aes128gcm")  # fmt: skip
    assert json.loads(plain) == PAYLOAD
    assert db.session.get(PushSubscription, subscription.id).last_success_at is not None


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_deleted(
    phone: Any, push_service: FakePushService, status: int
) -> None:
    subscription = phone.subscribe("/push/gone")
    push_service.answers["/push/gone"] = (status, {})
    assert send(subscription, PAYLOAD, topic="t").outcome == "gone"
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "retry_after"),
    [
        (429, {"Retry-After": "120"}, "retry", 120),
        (500, {}, "retry", None),
        (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, "retry", None),
        (403, {}, "misconfigured", None),
        (400, {}, "misconfigured", None),
    ],
)
def test_a_failed_push_is_counted_and_says_when_to_try_again(
    phone: Any, push_service: FakePushService, status: int, headers: dict[str, str],
    outcome: str, retry_after: int | None,
) -> None:  # fmt: skip
    subscription = phone.subscribe("/push/busy")
    push_service.answers["/push/busy"] = (status, headers)
    delivery = send(subscription, PAYLOAD, topic="t")
    db.session.commit()
    assert (delivery.outcome, delivery.status, delivery.retry_after) == (outcome, status,
                                                                         retry_after)  # fmt: skip
    kept = db.session.get(PushSubscription, subscription.id)
    assert kept.failures == 1 and kept.last_success_at is None


def test_an_unreachable_push_service_is_a_failure_not_an_error(
    phone: Any, push_service: FakePushService
) -> None:
    subscription = phone.subscribe("/push/down")
    push_service.server.shutdown()
    push_service.server.server_close()
    assert send(subscription, PAYLOAD, topic="t").outcome == "failed"
    assert subscription.failures == 1


def test_sending_refuses_to_start_without_a_real_subject(
    phone: Any, app: Any, push_service: FakePushService
) -> None:
    subscription = phone.subscribe("/push/a")
    app.config["VAPID_SUBJECT"] = "admin"
    with pytest.raises(RuntimeError, match="VAPID_SUBJECT"):
        send(subscription, PAYLOAD, topic="t")
    assert push_service.received == []
