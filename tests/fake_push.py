"""A fake push service on 127.0.0.1, and the keys of a phone subscribed to it.

The service verifies nothing itself; it keeps every request so a test can check the VAPID
signature (`vapid_claims`) and decrypt the aes128gcm body with the phone's private key
(`Phone.read`), asserting what a real phone would receive.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import PushSubscription
from pwa.push import public_key


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class FakePushService:
    """Answers each endpoint path with a chosen status (201 by default), or not at all in time
    for a path in `slow` (3 s: longer than the tests' PUSH_TIMEOUT_SECONDS); keeps every
    request it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, dict[str, str]]] = {}
        self.slow: set[str] = set()
        self.delay = 0.0  # seconds before every answer, like a real service over a network
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                service.received.append({"path": self.path, "headers": headers, "body": body})
                time.sleep(3 if self.path in service.slow else service.delay)
                status, answer = service.answers.get(self.path, (201, {}))
                self.send_response(status)
                for name, value in answer.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path: str) -> list[dict[str, Any]]:
        """The requests sent to one endpoint path."""
        return [request for request in self.received if request["path"] == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Phone:
    """A browser's push keys: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, service: FakePushService, path: str) -> None:
        self.service, self.path = service, path
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription_json(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives the page."""
        point = self.private.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {"endpoint": f"{self.service.origin}{self.path}", "expirationTime": None,
                "keys": {"p256dh": b64(point), "auth": b64(self.auth)}}  # fmt: skip

    def subscribe(self, client: FlaskClient, token: str) -> PushSubscription:
        """Register this subscription through the API, as the page does."""
        body = self.subscription_json()
        response = client.post("/api/v1/push/subscriptions", json=body,
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 201, response.json
        return db.session.scalar(
            db.select(PushSubscription).where(PushSubscription.endpoint == body["endpoint"])
        )

    def read(self, request: dict[str, Any]) -> Any:
        """Decrypt one request's body as this phone would; return the JSON payload."""
        plain = http_ece.decrypt(request["body"], private_key=self.private,
                                 auth_secret=self.auth, version="aes128gcm")  # fmt: skip
        return json.loads(plain)

    def inbox(self) -> list[Any]:
        """Every payload this phone was sent, oldest first."""
        return [self.read(request) for request in self.service.to(self.path)]


def vapid_claims(authorization: str, origin: str, subject: str) -> dict[str, Any]:
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
    assert decoded["aud"] == origin and decoded["sub"] == subject
    assert decoded["exp"] > time.time()
    return decoded
