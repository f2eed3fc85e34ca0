"""Pruning the reminders' bookkeeping: what is done with goes after the retention; nothing is
ever announced twice because of it; the audit trail is never touched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.housekeeping import prune_push
from pwa.models import (
    AuditEvent,
    CheckIn,
    FollowUp,
    Patient,
    PushClaim,
    PushDelivery,
    PushNotice,
    User,
    utcnow,
)
from pwa.reminders import send_reminders

from .conftest import make_follow_up
from .fake_push import FakePushService
from .test_api_sync import check_in_change, enrol, sync
from .test_reminders import LONELY, app_config, phone_for, self_check_in, start_of_today

__all__ = ["app_config"]  # the reminders' settings: a fake push service, every hour allowed


def forty_days_pass() -> None:
    """What was sent and received, as if it all happened forty days ago."""
    ago = timedelta(days=40)
    for claim in db.session.scalars(db.select(PushClaim)):
        claim.at -= ago
    for notice in db.session.scalars(db.select(PushNotice)):
        notice.created_at, notice.expires_at = notice.created_at - ago, notice.expires_at - ago
    for check_in in db.session.scalars(db.select(CheckIn)):
        check_in.received_at, check_in.captured_at = (check_in.received_at - ago,
                                                      check_in.captured_at - ago)  # fmt: skip
    db.session.commit()


def rows(model: Any) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model)) or 0


def test_what_is_done_with_goes_and_nothing_is_announced_twice(
    client: FlaskClient, worker: User, patient: Patient, patient_user: User,
    push_service: FakePushService,
) -> None:  # fmt: skip
    phone_for(client, worker, push_service, "/push/worker")
    open_one = make_follow_up(patient, due_at=start_of_today() - timedelta(days=3), kind="visit")
    done_one = make_follow_up(patient, due_at=start_of_today() - timedelta(days=4), kind="call")
    self_check_in(client, patient_user, patient, ucla3=LONELY)  # alerts the link worker
    assert send_reminders()["notices"] == 2
    assert (rows(PushClaim), rows(PushNotice), rows(PushDelivery)) == (3, 2, 2)
    audited = rows(AuditEvent)

    # Within the retention: nothing goes, however old the things announced.
    assert sum(prune_push().values()) == 0
    # Forty days on: the check-in's claim (never looked at again) and the done follow-up's go;
    # the open follow-up's claim stays, so is its notice; the check-in's notice goes whole.
    done_one.done_at = utcnow()
    db.session.commit()
    forty_days_pass()
    assert prune_push() == {"claims": 2, "deliveries": 1, "notices": 1}
    assert list(db.session.scalars(db.select(PushClaim.key))) == [f"follow-up:{open_one.id}"]
    assert rows(AuditEvent) == audited  # the audit trail is never pruned
    # The open follow-up is still overdue: the next run says nothing new about it.
    assert send_reminders()["notices"] == 0
    # Once it is done, its claim and notice go too.
    db.session.get(FollowUp, open_one.id).done_at = utcnow()  # type: ignore[union-attr]
    db.session.commit()
    assert prune_push() == {"claims": 1, "deliveries": 1, "notices": 1}
    assert (rows(PushClaim), rows(PushNotice), rows(PushDelivery)) == (0, 0, 0)


def test_a_notice_still_being_delivered_stays(
    client: FlaskClient, worker: User, patient: Patient, push_service: FakePushService
) -> None:
    phone_for(client, worker, push_service, "/push/worker")
    follow_up = make_follow_up(patient, due_at=start_of_today(), kind="visit")
    push_service.answers["/push/worker"] = (503, {})  # down: the delivery waits to try again
    send_reminders()
    assert db.session.scalar(db.select(PushDelivery.status)) == "pending"
    follow_up.done_at = utcnow()
    db.session.commit()
    forty_days_pass()
    assert prune_push() == {"claims": 1, "deliveries": 0, "notices": 0}
    assert rows(PushNotice) == 1 and rows(PushDelivery) == 1


def test_the_command_says_what_it_pruned(runner: Any) -> None:
    result = runner.invoke(args=["prune-push"])
    assert result.exit_code == 0
    assert "Pruned 0 claims, 0 deliveries and 0 notices older than 30 days." in result.output


def test_a_correction_weeks_later_is_news_again_once_pruned(
    client: FlaskClient, worker: User, patient: Patient, patient_user: User,
    push_service: FakePushService,
) -> None:  # fmt: skip
    """Found by a review: the claim of the check-in it corrects has gone, so it is announced.
    Before the retention it is not (the claim stands); after, weeks on, it is worth hearing."""
    phone_for(client, worker, push_service, "/push/worker")
    original = self_check_in(client, patient_user, patient, ucla3=LONELY)
    assert send_reminders()["notices"] == 1

    def correct() -> None:
        correction = check_in_change(patient, measures={"ucla3": LONELY}, scores={})
        correction["data"]["amends"] = original
        result = sync(client, enrol(client, patient_user), [correction])["results"][0]
        assert result["status"] == "applied"

    correct()
    assert send_reminders()["notices"] == 0  # within the retention: already announced
    forty_days_pass()
    prune_push()
    correct()
    assert send_reminders()["notices"] == 1
