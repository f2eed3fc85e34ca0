"""Push service to page, in real Chromium: the Settings page subscribes, the server stores it,
`flask send-reminders` sends to the fake push service, and that payload is delivered into the
real service worker over CDP, which shows it; a click opens the page it names.

A real `pushManager.subscribe()` cannot reach a push service here (../shared/TESTING.md), so an
init script stands in for it: it records the key the page passed and returns the fake service's
endpoint with keys the test holds, so the test can decrypt what the server sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pwa.extensions import db
from pwa.models import Device, FollowUp, Patient, PushSubscription, User, utcnow
from pwa.push import public_key
from pwa.reminders import send_reminders

from .conftest import make_follow_up
from .fake_push import FakePushService, Phone
from .test_browser import (
    accessibility_violations,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import count, eventually, sign_in_and_sync, until

# Stand-in for the browser's push service client: subscribe() hands back the fake endpoint and
# keys, keeping the applicationServerKey it was given; requestPermission() is counted, so the
# test can tell the page never asks before a tap.
FAKE_PUSH_MANAGER = """
(() => {
  const fake = %s;
  const saved = "fake-push-key";
  const subscription = (key) => ({
    endpoint: fake.endpoint, expirationTime: null,
    options: { applicationServerKey: key, userVisibleOnly: true },
    toJSON: () => fake,
    unsubscribe: async () => { localStorage.removeItem(saved); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem(saved, JSON.stringify(Array.from(key)));
    return subscription(key.buffer);
  };
  PushManager.prototype.getSubscription = async function () {
    const key = localStorage.getItem(saved);
    return key ? subscription(new Uint8Array(JSON.parse(key)).buffer) : null;
  };
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => {
    localStorage.setItem("permission-asked", Number(localStorage.getItem("permission-asked")) + 1);
    return ask(...args);
  };
})();
"""
NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.getRegistration())
    .getNotifications()).map((n) => ({title: n.title, body: n.body, tag: n.tag, icon: n.icon,
                                      url: n.data.url}))"""


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "VAPID_SUBJECT": "mailto:practice-it@example.org",
            "PUSH_ALLOW_LOOPBACK_HTTP": True, "REMINDER_HOURS": (0, 24)}  # fmt: skip


def endpoints() -> list[str]:
    found = db.session.scalars(db.select(PushSubscription.endpoint)).all()
    db.session.commit()  # end the read: SQLite's lock would stall the server's threads
    return list(found)


def phone_in(context: Any, push_service: FakePushService, path: str) -> Phone:
    phone = Phone(push_service, path)
    context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(phone.subscription_json()))
    context.grant_permissions(["notifications"])
    return phone


def turn_on_notifications(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/settings")
    page.get_by_text("Notifications are off for this phone.").wait_for()
    assert page.evaluate("localStorage.getItem('permission-asked')") is None  # not on load
    page.get_by_role("button", name="Turn on notifications").click()
    page.get_by_text("Notifications are on for this phone.").wait_for()
    assert page.evaluate("localStorage.getItem('permission-asked')") == "1"


def deliver(context: Any, page: Any, live_server: str, payload: dict[str, Any] | str) -> None:
    """Hand a push payload to the real service worker, as the browser does when one arrives."""
    cdp = context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(r["registrationId"]
                                              for r in event["registrations"]))  # fmt: skip
    cdp.send("ServiceWorker.enable")
    until(page, lambda: registrations)
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server,
             "registrationId": registrations[0],
             "data": payload if isinstance(payload, str) else json.dumps(payload)})  # fmt: skip


def click_notification(context: Any) -> None:
    """Fire `notificationclick` for the notification showing. No browser automation can click a
    system notification, so the event is dispatched inside the real worker; it is untrusted, so
    the browser will not let it focus or open a window, but navigating an open one works."""
    [worker] = context.service_workers
    worker.evaluate("""async () => {
        const [notification] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
    }""")


def test_a_link_worker_turns_on_notifications_and_a_reminder_opens_the_caseload(
    live_server: str, page: Any, context: Any, push_service: FakePushService,
    console_errors: list[str],
) -> None:  # fmt: skip
    phone = phone_in(context, push_service, "/push/amara")
    sign_in_and_sync(page, live_server)
    page.goto(f"{live_server}/settings")
    page.get_by_text("Notifications are off for this phone.").wait_for()
    assert accessibility_violations(page) == []
    turn_on_notifications(page, live_server)

    key = bytes(json.loads(page.evaluate("localStorage.getItem('fake-push-key')")))
    assert len(key) == 65 and key[0] == 4
    assert base64.urlsafe_b64encode(key).decode().rstrip("=") == public_key()
    amara = db.session.scalar(db.select(User).where(User.username == "amara"))
    [stored] = db.session.scalars(db.select(PushSubscription)).all()
    assert stored.endpoint == f"{push_service.origin}/push/amara"
    assert db.session.get(Device, stored.device_id).user_id == amara.id
    db.session.commit()

    patient = db.session.scalar(db.select(Patient).where(Patient.link_worker_id == amara.id))
    db.session.execute(db.update(FollowUp).values(done_at=utcnow()))  # the demo's own are done
    make_follow_up(patient, due_at=utcnow())
    assert send_reminders()["sent"] == 1
    db.session.commit()
    payload = phone.read(push_service.received[-1])
    assert payload["url"] == "/caseload"

    deliver(context, page, live_server, payload)
    eventually(page, f"async () => ({NOTIFICATIONS})().then((n) => n.length)", 1)
    [shown] = page.evaluate(NOTIFICATIONS)
    assert shown["title"] == "Follow-ups due" and shown["body"] == "1 follow-up due today."
    assert shown["tag"] == "follow-ups" and shown["url"] == "/caseload"
    assert shown["icon"].endswith("/nhsuk-icon-192.png")

    click_notification(context)
    page.wait_for_url(f"{live_server}/caseload")
    page.get_by_role("heading", name="Your caseload").wait_for()
    eventually(page, f"async () => ({NOTIFICATIONS})().then((n) => n.length)", 0)
    assert console_errors == []


def test_a_new_subscription_from_the_push_service_reaches_the_server_and_sign_out_ends_it(
    live_server: str, page: Any, context: Any, push_service: FakePushService
) -> None:
    phone_in(context, push_service, "/push/first")
    sign_in_and_sync(page, live_server)
    turn_on_notifications(page, live_server)
    # The push service rotates the subscription: the worker tells the server with the device
    # token it reads from the app's IndexedDB.
    renewed = Phone(push_service, "/push/renewed").subscription_json()
    [worker] = context.service_workers
    worker.evaluate("(fresh) => resubscribe(null, { toJSON: () => fresh })", renewed)
    until(page, lambda: endpoints() == [renewed["endpoint"]])

    page.goto(f"{live_server}/caseload")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert count(PushSubscription) == 0
    assert page.evaluate("localStorage.getItem('fake-push-key')") is None


def test_a_patient_is_reminded_to_check_in_and_the_reminder_opens_the_form(
    live_server: str, page: Any, context: Any, push_service: FakePushService
) -> None:
    phone = phone_in(context, push_service, "/push/pat")
    sign_in_and_sync(page, live_server, username="pat", home="My progress")
    turn_on_notifications(page, live_server)
    pat = db.session.scalar(db.select(User).where(User.username == "pat"))
    patient = db.session.scalar(db.select(Patient).where(Patient.user_id == pat.id))
    make_follow_up(patient, kind="self_checkin", due_at=utcnow())
    assert send_reminders()["sent"] == 1
    db.session.commit()
    [payload] = phone.inbox()
    deliver(context, page, live_server, payload)
    eventually(page, f"async () => ({NOTIFICATIONS})().then((n) => n.map((x) => x.title))",
               ["Time for your check-in"])  # fmt: skip
    click_notification(context)
    page.wait_for_url(f"{live_server}/my-progress/check-in")
    page.get_by_role("heading", name="How are you doing?").wait_for()


def test_a_push_that_is_garbled_or_points_outside_the_app_opens_nothing_outside_it(
    live_server: str, page: Any, context: Any, push_service: FakePushService
) -> None:
    phone_in(context, push_service, "/push/any")
    page.goto(f"{live_server}/sign-in")
    active = "async () => (await navigator.serviceWorker.getRegistration())?.active?.state"
    eventually(page, active, "activated")
    deliver(context, page, live_server, {"title": "Prize!", "body": "Claim it", "tag": "spam",
                                         "url": "https://elsewhere.example/claim"})  # fmt: skip
    eventually(page, f"async () => ({NOTIFICATIONS})().then((n) => n.map((x) => x.url))", ["/"])
    worker = context.service_workers[0]
    worker.evaluate("async () => (await self.registration.getNotifications())[0].close()")
    # Not JSON at all: a push must still show something (userVisibleOnly), neutrally.
    deliver(context, page, live_server, "not json")
    eventually(page, f"async () => ({NOTIFICATIONS})().then((n) => n.map((x) => [x.title, x.url]))",
               [["Link worker", "/"]])  # fmt: skip
