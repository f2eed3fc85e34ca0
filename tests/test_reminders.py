"""`flask send-reminders`: what is announced, to whom, worded how, and exactly once.

Every push goes over real HTTP to the fake push service (tests/fake_push.py), which decrypts it
with the phone's key: the assertions are about what a phone would show.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.measures import score_all
from pwa.models import FollowUp, Patient, PushDelivery, PushSubscription, User
from pwa.push import public_key
from pwa.reminders import send_reminders

from .conftest import SWEMWBS_ALL_3, make_follow_up, make_patient, make_user
from .fake_push import FakePushService, Phone, vapid_claims
from .test_api_sync import check_in_change, enrol, sync

SUBJECT = "mailto:practice-it@example.org"
LONDON = ZoneInfo("Europe/London")
# Every body a notice may have: counts, and otherwise fixed words.
ALLOWED_BODIES = (
    r"\d+ follow-ups? due today( and \d+ overdue)?\.|\d+ overdue follow-ups?\."
    r"|A patient's own check-in may need a look\.|\d+ patients' own check-ins may need a look\."
    r"|Your wellbeing check-in is due\. It takes about two minutes\."
)
LONELY = {"companionship": 3, "left_out": 3, "isolated": 3}
ONS4_FINE = {"life_satisfaction": 7, "worthwhile": 7, "happiness": 7, "anxiety": 2}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "VAPID_SUBJECT": SUBJECT, "PUSH_ALLOW_LOOPBACK_HTTP": True,
            "PUSH_TIMEOUT_SECONDS": 1, "REMINDER_HOURS": (0, 24)}  # fmt: skip


def start_of_today() -> datetime:
    local = datetime.now(LONDON)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def phone_for(client: FlaskClient, user: User, service: FakePushService, path: str) -> Phone:
    """Enrol a phone for `user` and subscribe it, as the settings page does."""
    phone = Phone(service, path)
    phone.subscribe(client, enrol(client, user))
    return phone


def self_check_in(client: FlaskClient, patient_user: User, patient: Patient, **measures: Any):
    """Send a patient's own check-in through the sync API, as their phone does."""
    token = enrol(client, patient_user)
    change = check_in_change(patient, measures=measures, scores={})
    assert sync(client, token, [change])["results"][0]["status"] == "applied"
    return change["id"]


def test_a_link_worker_hears_once_about_the_follow_ups_due_today_and_overdue(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    phone = phone_for(client, worker, push_service, "/push/worker")
    today = start_of_today()
    due_today = make_follow_up(patient, due_at=today + timedelta(hours=15))
    make_follow_up(patient, due_at=today - timedelta(days=2), kind="visit")  # overdue
    make_follow_up(patient, due_at=today + timedelta(days=1, hours=10))  # tomorrow: not yet
    make_follow_up(patient, due_at=today + timedelta(hours=9), done_at=datetime.now(UTC))
    make_follow_up(patient, due_at=today + timedelta(hours=9), kind="self_checkin")  # patient's

    report = send_reminders()
    assert (report["notices"], report["sent"]) == (1, 1)
    [request] = push_service.received
    assert phone.read(request) == {"title": "Follow-ups due", "tag": "follow-ups",
                                   "body": "1 follow-up due today and 1 overdue.",
                                   "url": "/caseload"}  # fmt: skip
    headers = request["headers"]
    vapid_claims(headers["authorization"], push_service.origin, SUBJECT)
    assert (headers["urgency"], headers["topic"]) == ("normal", "follow-ups")
    assert 0 < int(headers["ttl"]) <= 6 * 3600
    assert db.session.get(FollowUp, due_today.id).notified_at is not None

    # A second run has nothing new to say.
    assert send_reminders()["notices"] == 0
    assert len(push_service.received) == 1

    # A follow-up booked later in the day brings a fresh count, replacing the first (same tag
    # and topic).
    make_follow_up(patient, due_at=today + timedelta(hours=16))
    send_reminders()
    assert phone.inbox()[-1]["body"] == "2 follow-ups due today and 1 overdue."
    assert len(push_service.received) == 2


def test_only_a_link_workers_own_active_patients_follow_ups_count(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient,
    others_patient: Patient, push_service: FakePushService,
) -> None:  # fmt: skip
    mine = phone_for(client, worker, push_service, "/push/mine")
    theirs = phone_for(client, other_worker, push_service, "/push/theirs")
    today = start_of_today()
    make_follow_up(patient, due_at=today + timedelta(hours=12))
    make_follow_up(others_patient, due_at=today + timedelta(hours=12))
    make_follow_up(others_patient, due_at=today + timedelta(hours=13))
    discharged = make_patient(worker, status="discharged")
    make_follow_up(discharged, due_at=today + timedelta(hours=12))
    send_reminders()
    assert [p["body"] for p in mine.inbox()] == ["1 follow-up due today."]
    assert [p["body"] for p in theirs.inbox()] == ["2 follow-ups due today."]


@pytest.mark.parametrize(
    ("measures", "alert"),
    [
        ({"ons4": ONS4_FINE | {"life_satisfaction": 4}}, True),
        ({"ons4": ONS4_FINE | {"happiness": 3}}, True),
        ({"ons4": ONS4_FINE | {"anxiety": 6}}, True),
        ({"ons4": ONS4_FINE | {"anxiety": 5, "life_satisfaction": 5}}, False),
        ({"swemwbs": dict.fromkeys(SWEMWBS_ALL_3, 2)}, True),  # raw 14: metric 15.32
        ({"swemwbs": SWEMWBS_ALL_3}, False),  # raw 21: metric 19.25
        ({"ucla3": {"companionship": 2, "left_out": 2, "isolated": 2}}, True),
        ({"ucla3": {"companionship": 2, "left_out": 2, "isolated": 1}}, False),
        ({"ons4": ONS4_FINE}, False),
    ],
)
def test_a_patients_own_check_in_that_needs_a_look_alerts_their_link_worker(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient,
    push_service: FakePushService, measures: dict[str, Any], alert: bool,
) -> None:  # fmt: skip
    phone = phone_for(client, worker, push_service, "/push/worker")
    self_check_in(client, patient_user, patient, **measures)
    send_reminders()
    if not alert:
        assert push_service.received == []
        return
    [payload] = phone.inbox()
    assert payload["title"] == "A check-in to look at"
    assert payload["body"] == "A patient's own check-in may need a look."
    assert payload["url"] == "/caseload#to-look-at"
    [request] = push_service.received
    assert request["headers"]["urgency"] == "high"
    send_reminders()
    assert len(push_service.received) == 1  # told once


def test_the_swemwbs_threshold_is_the_practices_to_set(
    app: Flask, client: FlaskClient, worker: User, patient_user: User, patient: Patient,
    push_service: FakePushService,
) -> None:  # fmt: skip
    phone = phone_for(client, worker, push_service, "/push/worker")
    self_check_in(client, patient_user, patient, swemwbs=SWEMWBS_ALL_3)  # metric 19.25
    send_reminders()
    assert phone.inbox() == []
    app.config["SWEMWBS_ALERT_BELOW"] = 20.5
    send_reminders()
    assert len(phone.inbox()) == 1


def test_a_check_in_the_link_worker_recorded_alerts_nobody(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    phone_for(client, worker, push_service, "/push/worker")
    change = check_in_change(patient, measures={"ucla3": LONELY})
    assert sync(client, enrol(client, worker), [change])["results"][0]["status"] == "applied"
    send_reminders()
    assert push_service.received == []


def test_alerts_about_several_patients_come_as_one_notification_to_the_caseload(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient,
    push_service: FakePushService,
) -> None:  # fmt: skip
    phone = phone_for(client, worker, push_service, "/push/worker")
    second_user = make_user("patient")
    second = make_patient(worker, user_id=second_user.id)
    first_id = self_check_in(client, patient_user, patient, ucla3=LONELY)
    self_check_in(client, second_user, second, ucla3=LONELY)
    # The first patient corrects their check-in: the same news, not a second alert.
    token = enrol(client, patient_user)
    amendment = check_in_change(patient, measures={"ucla3": LONELY}, amends=first_id)
    assert sync(client, token, [amendment])["results"][0]["status"] == "applied"
    send_reminders()
    [payload] = phone.inbox()
    assert payload["body"] == "2 patients' own check-ins may need a look."
    assert payload["url"] == "/caseload#to-look-at"


def test_a_patient_is_reminded_once_when_their_self_check_in_is_due(
    client: FlaskClient, worker: User, patient_user: User, patient: Patient,
    push_service: FakePushService,
) -> None:  # fmt: skip
    theirs = phone_for(client, patient_user, push_service, "/push/patient")
    workers = phone_for(client, worker, push_service, "/push/worker")
    due = make_follow_up(patient, kind="self_checkin",
                         due_at=datetime.now(UTC) - timedelta(minutes=5))  # fmt: skip
    make_follow_up(patient, kind="self_checkin", due_at=datetime.now(UTC) + timedelta(hours=2))
    send_reminders()
    send_reminders()
    assert theirs.inbox() == [{"title": "Time for your check-in", "tag": "self-check-in",
                               "body": "Your wellbeing check-in is due. It takes about two "
                                       "minutes.", "url": "/my-progress/check-in"}]  # fmt: skip
    assert workers.inbox() == []  # a patient's own reminder is not the link worker's follow-up
    assert db.session.get(FollowUp, due.id).notified_at is not None


def test_a_patient_who_has_already_checked_in_that_day_is_not_reminded(
    client: FlaskClient, patient_user: User, patient: Patient, push_service: FakePushService
) -> None:
    phone = phone_for(client, patient_user, push_service, "/push/patient")
    make_follow_up(patient, kind="self_checkin", due_at=datetime.now(UTC) - timedelta(minutes=5))
    self_check_in(client, patient_user, patient, ons4=ONS4_FINE)
    send_reminders()
    assert phone.inbox() == []


def test_no_payload_carries_a_name_nhs_number_score_or_note(
    client: FlaskClient, worker: User, push_service: FakePushService
) -> None:
    user = make_user("patient", display_name="Zebedee Quartermaine")
    patient = make_patient(worker, given_name="Zebedee", family_name="Quartermaine",
                           nhs_number="9434765919", postcode="LS1 4AP", user_id=user.id,
                           referral_reason="Recently bereaved")  # fmt: skip
    workers = phone_for(client, worker, push_service, "/push/worker")
    theirs = phone_for(client, user, push_service, "/push/patient")
    make_follow_up(patient, due_at=datetime.now(UTC), note="Talk about the debt letters")
    make_follow_up(patient, kind="self_checkin", due_at=datetime.now(UTC) - timedelta(hours=1),
                   note="Gentle nudge about the bereavement group")  # fmt: skip
    send_reminders()  # the follow-up (to the worker) and the self check-in (to the patient)
    token = enrol(client, user)
    measures = {"ons4": {"life_satisfaction": 1, "worthwhile": 2, "happiness": 3, "anxiety": 9},
                "swemwbs": dict.fromkeys(SWEMWBS_ALL_3, 1)}  # fmt: skip
    change = check_in_change(patient, measures=measures, notes="Finding evenings very hard")
    assert sync(client, token, [change])["results"][0]["status"] == "applied"
    scores = score_all(measures)
    send_reminders()  # the check-in's alert
    payloads = workers.inbox() + theirs.inbox()
    assert {p["title"] for p in payloads} == {"Follow-ups due", "A check-in to look at",
                                              "Time for your check-in"}  # fmt: skip
    text = repr(payloads).lower()
    details = (
        "zebedee",
        "quartermaine",
        "9434765919",
        "943 476 5919",
        "ls1",
        "bereav",
        "debt",
        "evenings",
        "nudge",
        str(scores["swemwbs"]["metric"]),
        "loneliness",
    )
    for detail in details:
        assert detail not in text
    for payload in payloads:
        assert set(payload) == {"title", "body", "tag", "url"}
        # The only figures a payload may hold are counts; no id at all.
        assert re.fullmatch(r"/(caseload(#to-look-at)?|my-progress/check-in)",
                            payload["url"])  # fmt: skip
        assert re.fullmatch(r"follow-ups|self-check-in|check-ins-[0-9a-f]{12}", payload["tag"])
        assert not re.search(r"\d", payload["title"])
        assert re.fullmatch(ALLOWED_BODIES, payload["body"]), payload["body"]


def test_running_twice_at_once_sends_each_reminder_once(
    app: Flask, client: FlaskClient, push_service: FakePushService
) -> None:
    phones = []
    today = start_of_today()
    for n in range(4):
        worker = make_user("link_worker")
        patient = make_patient(worker)
        for hour in (10, 11, 12):
            make_follow_up(patient, due_at=today + timedelta(hours=hour))
        # Two phones each: deliveries as well as notices must not be doubled.
        phones += [phone_for(client, worker, push_service, f"/push/{n}/{d}") for d in "ab"]
    db.session.commit()
    push_service.delay = 0.05  # so the runs' deliveries overlap in time
    start = threading.Barrier(3)
    reports: list[Any] = []

    def run() -> None:
        with app.app_context():
            start.wait()
            reports.append(send_reminders())

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["notices"] for r in reports) == 4
    assert sum(r["sent"] for r in reports) == 8
    assert [len(phone.inbox()) for phone in phones] == [1] * 8
    assert all(p.inbox()[0]["body"] == "3 follow-ups due today." for p in phones)


def test_a_busy_push_service_is_tried_again_after_retry_after(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    busy = phone_for(client, worker, push_service, "/push/busy")
    calm = phone_for(client, worker, push_service, "/push/calm")  # the same person's tablet
    push_service.answers["/push/busy"] = (429, {"Retry-After": "300"})
    make_follow_up(patient, due_at=datetime.now(UTC))
    now = datetime.now(UTC)
    report = send_reminders(now)
    assert (report["sent"], report["retry"]) == (1, 1)
    assert len(calm.inbox()) == 1
    delivery = db.session.scalar(db.select(PushDelivery).where(PushDelivery.status == "pending"))
    assert delivery.next_attempt_at == now + timedelta(seconds=300)
    assert delivery.attempts == 1 and delivery.last_status == 429

    assert send_reminders(now + timedelta(seconds=200))["retry"] == 0  # not yet
    assert len(push_service.to("/push/busy")) == 1
    del push_service.answers["/push/busy"]
    assert send_reminders(now + timedelta(seconds=301))["sent"] == 1
    assert len(busy.inbox()) == 2 and len(calm.inbox()) == 1  # the calm phone is not re-sent
    subscription = db.session.scalar(
        db.select(PushSubscription).where(PushSubscription.endpoint.endswith("/push/busy"))
    )
    assert subscription.failures == 0 and subscription.last_success_at is not None


def test_a_failing_push_service_is_retried_with_a_doubling_backoff_until_the_notice_is_stale(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    phone_for(client, worker, push_service, "/push/down")
    push_service.answers["/push/down"] = (500, {})
    make_follow_up(patient, due_at=datetime.now(UTC))
    now = datetime.now(UTC)
    waits = []
    moment = now
    for _ in range(4):
        assert send_reminders(moment)["retry"] == 1
        delivery = db.session.scalar(db.select(PushDelivery))
        waits.append(delivery.next_attempt_at - moment)
        moment = delivery.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert db.session.scalar(db.select(PushSubscription)).failures == 4
    # Twelve hours on, a follow-up reminder is stale: dropped, not sent late.
    assert send_reminders(now + timedelta(hours=13))["expired"] == 1
    assert db.session.scalar(db.select(PushDelivery)).status == "expired"
    assert len(push_service.received) == 4


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted_and_never_tried_again(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService,
    status: int,
) -> None:  # fmt: skip
    phone_for(client, worker, push_service, "/push/gone")
    push_service.answers["/push/gone"] = (status, {})
    make_follow_up(patient, due_at=datetime.now(UTC))
    assert send_reminders()["gone"] == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0
    assert db.session.scalar(db.select(PushDelivery)).status == "gone"
    make_follow_up(patient, due_at=datetime.now(UTC))
    assert send_reminders()["notices"] == 0  # no phone to tell: nothing claimed either
    assert len(push_service.received) == 1


@pytest.mark.parametrize("status", [400, 403])
def test_a_refused_push_is_logged_as_our_configuration_error(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService,
    status: int, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    phone_for(client, worker, push_service, "/push/refuses")
    push_service.answers["/push/refuses"] = (status, {})
    make_follow_up(patient, due_at=datetime.now(UTC))
    with caplog.at_level(logging.ERROR, logger="pwa.push"):
        assert send_reminders()["refused"] == 1
    assert "VAPID" in caplog.text
    assert send_reminders(datetime.now(UTC) + timedelta(hours=1))["refused"] == 0  # not retried


def test_a_push_service_that_does_not_answer_never_holds_up_the_rest(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient,
    others_patient: Patient, push_service: FakePushService,
) -> None:  # fmt: skip
    hanging = FakePushService()
    try:
        first = Phone(hanging, "/push/first")
        first.subscribe(client, enrol(client, worker))
        second = Phone(hanging, "/push/second")
        second.subscribe(client, enrol(client, other_worker))
        hanging.slow |= {"/push/first", "/push/second"}
        healthy = phone_for(client, worker, push_service, "/push/healthy")
        make_follow_up(patient, due_at=datetime.now(UTC))
        make_follow_up(others_patient, due_at=datetime.now(UTC))
        report = send_reminders()
        # One wait for the silent service (the tests' 1 s timeout); its other push waits for
        # the next run; the healthy service's push goes out.
        assert (report["retry"], report["deferred"], report["sent"]) == (1, 1, 1)
        assert len(hanging.received) == 1 and len(healthy.inbox()) == 1
        hanging.slow.clear()
        later = send_reminders(datetime.now(UTC) + timedelta(minutes=2))
        assert later["sent"] == 2
    finally:
        hanging.stop()


def test_a_phone_signed_out_before_delivery_is_not_sent_to(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    phone = Phone(push_service, "/push/worker")
    token = enrol(client, worker)
    phone.subscribe(client, token)
    push_service.answers["/push/worker"] = (503, {})
    make_follow_up(patient, due_at=datetime.now(UTC))
    assert send_reminders()["retry"] == 1
    response = client.delete("/api/v1/devices/current",
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 204
    del push_service.answers["/push/worker"]
    assert send_reminders(datetime.now(UTC) + timedelta(minutes=5))["unsubscribed"] == 1
    assert len(push_service.received) == 1


def test_nothing_is_gathered_outside_reminder_hours(
    app: Flask, client: FlaskClient, worker: User, patient: Patient,
    push_service: FakePushService,
) -> None:  # fmt: skip
    phone_for(client, worker, push_service, "/push/worker")
    app.config["REMINDER_HOURS"] = (8, 20)
    make_follow_up(patient, due_at=start_of_today() + timedelta(hours=10))
    night = datetime.now(LONDON).replace(hour=23, minute=30).astimezone(UTC)
    assert send_reminders(night) == {"outside_hours": 1}
    # The next moment inside the hours, never in the past: a run's lease is timed by the real
    # clock, so a run "at 8am" started at 3pm would think it had overrun and send nothing.
    local = datetime.now(LONDON)
    morning = (
        local
        if 8 <= local.hour < 20
        else local.replace(hour=8, minute=0) + timedelta(days=1 if local.hour >= 20 else 0)
    )
    assert send_reminders(morning.astimezone(UTC))["sent"] == 1


def test_the_command_sends_what_is_due_and_says_how_it_went(
    app: Flask, client: FlaskClient, worker: User, patient: Patient,
    push_service: FakePushService, runner: Any,
) -> None:  # fmt: skip
    phone = phone_for(client, worker, push_service, "/push/worker")
    make_follow_up(patient, due_at=datetime.now(UTC))
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert result.output == "New notices: 1. Deliveries: sent 1.\n"
    assert len(phone.inbox()) == 1
    assert (
        runner.invoke(args=["send-reminders"]).output == "New notices: 0. Deliveries: none due.\n"
    )


def test_the_command_refuses_without_a_real_subject(app: Flask, runner: Any) -> None:
    app.config["VAPID_SUBJECT"] = "practice"
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 1
    assert "VAPID_SUBJECT" in result.output


def test_the_push_key_command_prints_the_key_the_api_serves(
    client: FlaskClient, runner: Any
) -> None:
    printed = runner.invoke(args=["push-key"]).output.strip()
    assert printed == public_key() == client.get("/api/v1/push/key").json["public_key"]


def test_the_check_in_alert_goes_to_whoever_holds_the_caseload_now(
    client: FlaskClient, worker: User, other_worker: User, patient_user: User,
    patient: Patient, push_service: FakePushService,
) -> None:  # fmt: skip
    old = phone_for(client, worker, push_service, "/push/old")
    new = phone_for(client, other_worker, push_service, "/push/new")
    self_check_in(client, patient_user, patient, ucla3=LONELY)
    db.session.get(Patient, patient.id).link_worker_id = other_worker.id
    db.session.commit()
    send_reminders()
    assert old.inbox() == [] and len(new.inbox()) == 1


def test_a_stored_subscription_with_unusable_keys_never_stops_the_run(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    """Keys that are not a point on the curve (stored before they were checked) made every run
    crash on the same delivery; now that one is refused and everyone else's goes."""
    broken = phone_for(client, worker, push_service, "/push/broken")
    calm = phone_for(client, worker, push_service, "/push/calm")
    row = db.session.scalar(
        db.select(PushSubscription).where(PushSubscription.endpoint.endswith("/push/broken"))
    )
    row.p256dh = base64.urlsafe_b64encode(b"\x04" + bytes(64)).rstrip(b"=").decode()
    db.session.commit()
    make_follow_up(patient, due_at=datetime.now(UTC))
    report = send_reminders(datetime.now(UTC))
    assert (report["sent"], report["refused"]) == (1, 1)
    assert len(calm.inbox()) == 1 and broken.inbox() == []
    assert send_reminders(datetime.now(UTC) + timedelta(minutes=5))["refused"] == 0  # once
