"""No request forgery through a push subscription: the server POSTs only to https on a known
push service's host, and checks where the name resolves again before each send."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import PushSubscription, User
from pwa.push import keys_of, post, send

from .fake_push import FakePushService, Phone
from .test_api_push import browser_subscription, subscribe
from .test_api_sync import enrol

PAYLOAD = {"title": "Link worker", "body": "1 follow-up due today", "tag": "t", "url": "/"}

REFUSED = [
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://10.0.0.1/",
    "https://192.168.1.1/push",
    "https://localhost:22/",
    "https://localhost/",
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://[fd00::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://2130706433/",  # 127.0.0.1 as one number
    "https://0x7f000001/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "http://fcm.googleapis.com/fcm/send/abc",  # not https
    "https://fcm.googleapis.com:8443/fcm/send/abc",  # not the default port
    "https://fcm.googleapis.com:notaport/x",
    "https://user:pass@fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com@169.254.169.254/",  # the host is after the @
    "https://169.254.169.254#@fcm.googleapis.com/",
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://evilfcm.googleapis.com/fcm/send/abc",
    "https://push.apple.com.evil.example/",
    "https://attackerpush.apple.com/",
    "https://.push.apple.com/",
    "https://[fcm.googleapis.com/",
    "ftp://fcm.googleapis.com/x",
    "fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com/" + "a" * 1000,
    # A backslash ends the host for the HTTP client but not for the resolver that checked it.
    "https://localhost\\065.push.apple.com/internal/admin",
    "https://127.0.0.1\\.push.apple.com/x",
    "https://fcm.googleapis.com\\@10.0.0.1/x",
    "https://a..push.apple.com/x",  # an empty label: the IDNA codec raised (a 500)
    "https://" + "a" * 64 + ".push.apple.com/x",  # a label over 63
    "https://-a.push.apple.com/x",
    "https://fcm.googleapis.com/x y",
    "https://fcm.googleapis.com/x\\y",
    "https://fcm.googleapis.com/x\r\nHost: 10.0.0.1",
    "https://fcm.googleapis.com./fcm/send/abc",  # a trailing dot
    "https://xn--fcm-googleapis-com.push.apple.com\u3002evil/x",
]

ACCEPTED = [
    "https://fcm.googleapis.com/fcm/send/dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://web.push.apple.com/QOlrWvZ1dhkuoNHgdiIt",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
]


@pytest.fixture
def token(client: FlaskClient, worker: User) -> str:
    return enrol(client, worker)


@pytest.mark.parametrize("endpoint", REFUSED)
def test_an_endpoint_off_the_known_push_services_is_refused(
    client: FlaskClient, token: str, endpoint: str
) -> None:
    error = subscribe(client, token, browser_subscription(endpoint), status=422)["error"]
    assert error["fields"]["endpoint"]
    assert db.session.scalar(db.select(PushSubscription.id)) is None


@pytest.mark.parametrize("endpoint", ACCEPTED)
def test_the_known_push_services_are_accepted(
    client: FlaskClient, token: str, endpoint: str
) -> None:
    subscribe(client, token, browser_subscription(endpoint))


class TestWithTheTestOnlyLoopbackSetting:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return app_config | {"PUSH_ALLOW_LOOPBACK_HTTP": True}

    def test_loopback_is_let_through_and_nothing_else_is(
        self, client: FlaskClient, token: str
    ) -> None:
        subscribe(client, token, browser_subscription("http://127.0.0.1:9/push"))
        for endpoint in ("https://10.0.0.1/", "http://169.254.169.254/", "http://[fd00::1]/",
                         "http://user@127.0.0.1:9/"):  # fmt: skip
            subscribe(client, token, browser_subscription(endpoint), status=422)


class TestAHostAddedByConfiguration:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        # "localhost" stands for a configured host whose name resolves to a private address.
        return app_config | {"PUSH_EXTRA_HOSTS": ["push.example.org", "localhost"],
                             "VAPID_SUBJECT": "mailto:it@example.org"}  # fmt: skip

    def test_a_configured_host_is_accepted(self, client: FlaskClient, token: str) -> None:
        subscribe(client, token, browser_subscription("https://push.example.org/send/1"))

    def test_a_name_that_resolves_to_a_private_address_is_refused(
        self, client: FlaskClient, token: str
    ) -> None:
        error = subscribe(client, token, browser_subscription("https://localhost/x"), status=422)
        assert "not public" in error["error"]["fields"]["endpoint"][0]

    def test_the_address_is_checked_again_at_send_time(self, app: Flask, token: str) -> None:
        """Stored while it resolved elsewhere (or before these rules): dropped, never sent to."""
        subscription = PushSubscription(**keys_of_row("https://localhost/x"), device_id=device_id())
        db.session.add(subscription)
        db.session.commit()
        assert send(subscription, PAYLOAD, topic="t").outcome == "forbidden"
        db.session.commit()
        assert db.session.scalar(db.select(PushSubscription.id)) is None


class TestAtSendTime:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return app_config | {"VAPID_SUBJECT": "mailto:it@example.org"}

    def test_a_stored_endpoint_that_breaks_the_rules_is_never_contacted(
        self, app: Flask, token: str, push_service: FakePushService
    ) -> None:
        """A row from before these rules: the fake service listens on it, and hears nothing."""
        endpoint = f"{push_service.origin}/push/internal"  # http on loopback, test setting off
        subscription = PushSubscription(**keys_of_row(endpoint), device_id=device_id())
        db.session.add(subscription)
        db.session.commit()
        assert send(subscription, PAYLOAD, topic="t").outcome == "forbidden"
        assert push_service.received == []


class TestRedirects:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return app_config | {"VAPID_SUBJECT": "mailto:it@example.org",
                             "PUSH_ALLOW_LOOPBACK_HTTP": True}  # fmt: skip

    @pytest.mark.parametrize("status", [307, 308])  # the ones that would repeat the POST
    def test_a_redirect_from_a_push_service_is_not_followed(
        self, client: FlaskClient, token: str, push_service: FakePushService, status: int
    ) -> None:
        phone = Phone(push_service, "/push/moved")
        push_service.answers["/push/moved"] = (status, {"Location": "/push/inside"})
        subscription = phone.subscribe(client, token)
        delivery = post(keys_of(subscription), PAYLOAD, topic="t")
        assert delivery.outcome in ("failed", "retry")
        assert push_service.to("/push/inside") == []


def keys_of_row(endpoint: str) -> dict[str, str]:
    keys = browser_subscription(endpoint)["keys"]
    return {"endpoint": endpoint, "p256dh": keys["p256dh"], "auth": keys["auth"]}


def device_id() -> Any:
    from pwa.models import Device

    return db.session.scalar(db.select(Device.id))
