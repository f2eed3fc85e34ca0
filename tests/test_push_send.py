"""Sending one push to a fake push service on 127.0.0.1, checking what a phone would get:
the VAPID signature is verified and the aes128gcm body decrypted with the phone's key."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import PushSubscription, User
from pwa.push import send

from .fake_push import FakePushService, Phone, vapid_claims
from .test_api_sync import enrol

SUBJECT = "mailto:practice-it@example.org"
PAYLOAD = {"title": "Link worker", "body": "3 follow-ups due today", "tag": "follow-ups",
           "url": "/caseload"}  # fmt: skip


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "VAPID_SUBJECT": SUBJECT, "PUSH_ALLOW_LOOPBACK_HTTP": True}


@pytest.fixture
def phone(client: FlaskClient, worker: User, push_service: FakePushService) -> Any:
    """A phone's push keys, subscribed through the API like the page will do."""
    token = enrol(client, worker)

    class Subscriber:
        def subscribe(self, path: str) -> PushSubscription:
            self.keys = Phone(push_service, path)
            return self.keys.subscribe(client, token)

    return Subscriber()


def test_a_push_arrives_signed_encrypted_and_with_its_delivery_headers(
    phone: Any, push_service: FakePushService
) -> None:
    subscription = phone.subscribe("/push/a")
    delivery = send(subscription, PAYLOAD, topic="follow-ups", urgency="normal")
    db.session.commit()
    assert delivery.outcome == "sent"
    [request] = push_service.received
    headers = request["headers"]
    vapid_claims(headers["authorization"], push_service.origin, SUBJECT)
    assert (headers["ttl"], headers["urgency"], headers["topic"]) == ("21600", "normal",
                                                                       "follow-ups")  # fmt: skip
    assert headers["content-encoding"] == "aes128gcm"
    assert phone.keys.read(request) == PAYLOAD
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
    push_service.stop()
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
