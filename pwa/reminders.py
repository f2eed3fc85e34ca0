"""What the server tells phones, and when: `flask --app pwa send-reminders`, run by a timer.

A run has two steps, and either may overlap with another run's without sending anything twice:

1. **Gather.** For each person with a subscribed phone, find what is newly worth telling them:
   a link worker's follow-ups due today or overdue, a patient's own check-in that needs a look
   (told to their link worker), a patient's self check-in that is due (told to the patient).
   Each thing is *claimed* by inserting its key into `push_claims` with ON CONFLICT DO NOTHING,
   in the same transaction that makes the notice: a thing already claimed, by this run or any
   other, is never announced again. One notice per person and kind a run gathers them all.
2. **Deliver.** One UPDATE leases every pending delivery that is due to this run; each is sent
   (pwa/push.py) and its outcome committed at once. 429, 5xx and no answer are tried again on a
   later run, after Retry-After or a doubling backoff; 404/410 end it (the subscription is
   deleted); 400/403 end it as our configuration error. A push service that does not answer is
   skipped for the rest of the run, so it never holds up anyone else's pushes.

Notices carry no patient detail: a neutral title and body, a tag and a URL inside the app. The
app shows the detail after it opens, to whoever signs in.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select, update

from . import push
from .database import dialect_insert
from .extensions import db
from .measures import HelpThresholds, needs_a_look
from .models import (
    CheckIn,
    Device,
    FollowUp,
    Patient,
    PushClaim,
    PushDelivery,
    PushNotice,
    PushSubscription,
    User,
    utcnow,
)
from .scope import on_caseload_of

log = logging.getLogger(__name__)

# A run holds the deliveries it leased this long; one that dies mid-way lets them go after it.
LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# How far back a run looks for patients' own check-ins and self check-ins still to announce.
CHECK_IN_LOOKBACK = timedelta(hours=48)
SELF_CHECK_IN_LOOKBACK = timedelta(days=7)
# A push service keeps an undelivered push (phone off) for at most this long.
PUSH_TTL = timedelta(hours=6)


@dataclass(frozen=True)
class Wording:
    """What a notice says and does, with no patient detail in any of it."""

    kind: str
    title: str
    body: str
    url: str
    tag: str  # the phone shows one notification per tag: a newer one replaces it
    topic: str  # the push service keeps one undelivered push per topic: a newer one replaces it
    urgency: str
    lasts: timedelta


def send_reminders(now: datetime | None = None) -> Counter[str]:
    """Gather and deliver what is due; return counts by outcome (and `notices` made)."""
    push.vapid_subject()  # before anything is claimed: with no subject nothing could be sent
    now = now or utcnow()
    report: Counter[str] = Counter()
    first, last = current_app.config["REMINDER_HOURS"]
    if not first <= now.astimezone(_zone()).hour < last:
        report["outside_hours"] = 1
        return report
    report["notices"] = gather(now)
    report.update(deliver(now))
    return report


# --- gather -----------------------------------------------------------------------------------


def gather(now: datetime) -> int:
    """Make the notices that are newly due; return how many were made."""
    devices = _subscribed_devices()
    if not devices:
        return 0
    made = 0
    for maker in (_follow_ups_due, _check_ins_to_look_at, _self_check_ins_due):
        found = list(maker(now, set(devices)))
        # Most of what is due was announced by an earlier run: a cheap read skips those people,
        # so a quiet run writes nothing. The claim in _make_notice still decides any race.
        taken = _claimed({key for _, keys, _ in found for key in keys})
        for user_id, claim_keys, wording in found:
            if not set(claim_keys) <= taken:
                made += _make_notice(now, user_id, devices[user_id], claim_keys, wording)
    return made


def _claimed(keys: set[str]) -> set[str]:
    """Which of these keys some run has already claimed."""
    taken: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):  # keep each IN list a sensible size
        chunk = ordered[start : start + 500]
        taken.update(db.session.scalars(select(PushClaim.key).where(PushClaim.key.in_(chunk))))
    return taken


def _subscribed_devices() -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each active person's phones that still have a push subscription."""
    rows = db.session.execute(
        select(Device.user_id, Device.id)
        .join(PushSubscription, PushSubscription.device_id == Device.id)
        .join(User, User.id == Device.user_id)
        .where(Device.revoked_at.is_(None), User.active.is_(True))
    )
    devices: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for user_id, device_id in rows:
        devices[user_id].append(device_id)
    return devices


# What a gatherer finds: whom to tell, the keys of what it is about, and how to word it given
# the keys this run managed to claim.
Found = Iterator[tuple[uuid.UUID, list[str], Callable[[set[str]], Wording]]]


def _follow_ups_due(now: datetime, users: set[uuid.UUID]) -> Found:
    """A link worker's visits and calls due by the end of today, or overdue, not yet done."""
    start_of_today, end_of_today = _today(now)
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.assigned_to_id, FollowUp.due_at)
        .join(Patient, Patient.id == FollowUp.patient_id)
        .where(
            FollowUp.kind.in_(("visit", "call")),
            FollowUp.done_at.is_(None),
            FollowUp.due_at < end_of_today,
            FollowUp.assigned_to_id.in_(users),
            # Only patients the worker holds now (pwa/scope.py): what the count is about, they
            # can open. Reassigning a patient moves their open follow-ups with them.
            on_caseload_of(FollowUp.assigned_to_id),
        )
    )
    by_worker: dict[uuid.UUID, list[tuple[uuid.UUID, datetime]]] = defaultdict(list)
    for follow_up_id, worker_id, due_at in rows:
        by_worker[worker_id].append((follow_up_id, due_at))
    for worker_id, due in by_worker.items():
        today = sum(1 for _, due_at in due if due_at >= start_of_today)
        overdue = len(due) - today
        # Announced when any of them is new; the count is all of them, as the caseload shows.

        def word(claimed: set[str], t: int = today, o: int = overdue) -> Wording:
            return _follow_ups_wording(t, o)

        yield worker_id, [f"follow-up:{i}" for i, _ in due], word


def _follow_ups_wording(today: int, overdue: int) -> Wording:
    parts = []
    if today:
        parts.append(f"{_plural(today, 'follow-up')} due today")
    if overdue:
        parts.append(f"{overdue} overdue" if today else f"{_plural(overdue, 'overdue follow-up')}")
    return Wording(
        kind="follow_ups", title="Follow-ups due", body=" and ".join(parts) + ".",
        url="/caseload", tag="follow-ups", topic="follow-ups", urgency="normal",
        lasts=timedelta(hours=12),
    )  # fmt: skip


def _check_ins_to_look_at(now: datetime, users: set[uuid.UUID]) -> Found:
    """Patients' own check-ins, received lately, that need their link worker to look."""
    threshold = HelpThresholds.from_config(current_app.config)
    rows = db.session.execute(
        select(
            CheckIn.id,
            CheckIn.amends_id,
            CheckIn.patient_id,
            CheckIn.scores,
            Patient.link_worker_id,
        )
        .join(Patient, Patient.id == CheckIn.patient_id)
        .where(
            CheckIn.source == "self",
            CheckIn.received_at >= now - CHECK_IN_LOOKBACK,
            Patient.status == "active",
        )
    )
    by_worker: dict[uuid.UUID, dict[str, uuid.UUID]] = defaultdict(dict)
    for check_in_id, amends_id, patient_id, scores, worker_id in rows:
        # Whose phone is subscribed is checked here, not in SQL: an IN list of workers would
        # lead the planner through every check-in of their patients instead of the last two
        # days' (a quiet run over a whole area on SQLite: 100 ms with it, 42 ms without;
        # bench/reminders_bench.py).
        if worker_id in users and needs_a_look(scores, threshold):
            # A correction of a check-in is the same news: claimed under the original's id.
            by_worker[worker_id][f"check-in:{amends_id or check_in_id}"] = patient_id
    for worker_id, patients_by_key in by_worker.items():

        def word(claimed: set[str], p: dict[str, uuid.UUID] = patients_by_key) -> Wording:
            return _check_ins_wording({p[key] for key in claimed})

        yield worker_id, list(patients_by_key), word


def _check_ins_wording(patient_ids: set[uuid.UUID]) -> Wording:
    many = len(patient_ids) > 1
    unique = f"check-ins-{secrets.token_hex(6)}"
    return Wording(
        kind="check_ins",
        title="A check-in to look at",
        body=(f"{len(patient_ids)} patients' own check-ins may need a look." if many
              else "A patient's own check-in may need a look."),
        # "Check-ins to look at", at the top of the caseload, where each can be marked seen.
        url="/caseload#to-look-at",
        # Each alert stands on its own: never replaced by the next one, on the phone or in the
        # push service's queue.
        tag=unique, topic=unique, urgency="high", lasts=timedelta(hours=24),
    )  # fmt: skip


def _self_check_ins_due(now: datetime, users: set[uuid.UUID]) -> Found:
    """A patient's self check-ins that are due, unless they have checked in since that day."""
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.patient_id, FollowUp.due_at, Patient.user_id)
        .join(Patient, Patient.id == FollowUp.patient_id)
        .where(
            FollowUp.kind == "self_checkin",
            FollowUp.done_at.is_(None),
            FollowUp.due_at <= now,
            FollowUp.due_at >= now - SELF_CHECK_IN_LOOKBACK,
            Patient.status == "active",
            Patient.user_id.in_(users),
        )
    ).all()
    # Each patient's latest own check-in, in one query: is it on or after the due day?
    latest = dict(db.session.execute(
        select(CheckIn.patient_id, func.max(CheckIn.received_at))
        .where(
            CheckIn.patient_id.in_({patient_id for _, patient_id, _, _ in rows}),
            CheckIn.source == "self",
            CheckIn.received_at >= _start_of_day(now - SELF_CHECK_IN_LOOKBACK),
        )
        .group_by(CheckIn.patient_id)
    ).all())  # fmt: skip
    by_patient: dict[uuid.UUID, list[str]] = defaultdict(list)
    for follow_up_id, patient_id, due_at, user_id in rows:
        checked_in = latest.get(patient_id)
        if user_id is not None and (checked_in is None or checked_in < _start_of_day(due_at)):
            by_patient[user_id].append(f"self-check-in:{follow_up_id}")
    for user_id, keys in by_patient.items():
        yield user_id, keys, lambda claimed: Wording(
            kind="self_check_in", title="Time for your check-in",
            body="Your wellbeing check-in is due. It takes about two minutes.",
            url="/my-progress/check-in", tag="self-check-in", topic="self-check-in",
            urgency="normal", lasts=timedelta(hours=12),
        )  # fmt: skip


def _make_notice(
    now: datetime, user_id: uuid.UUID, device_ids: list[uuid.UUID], keys: list[str],
    word: Callable[[set[str]], Wording],
) -> int:  # fmt: skip
    """Claim `keys` for a new notice to `user_id`; keep it only if something was claimed."""
    notice = PushNotice(user_id=user_id, kind="pending", title="", body="", url="", tag="",
                        topic="", urgency="normal", created_at=now, expires_at=now)  # fmt: skip
    db.session.add(notice)
    db.session.flush()
    table = PushClaim.__table__
    # Sorted, so two runs claiming overlapping keys take their row locks in the same order.
    claimed = set(db.session.scalars(
        dialect_insert(table)
        .values([{"key": key, "notice_id": notice.id, "at": now} for key in sorted(set(keys))])
        .on_conflict_do_nothing(index_elements=[table.c.key])
        .returning(table.c.key)
    ))  # fmt: skip
    if not claimed:
        db.session.delete(notice)
        db.session.commit()
        return 0
    wording = word(claimed)
    for field in ("kind", "title", "body", "url", "tag", "topic", "urgency"):
        setattr(notice, field, getattr(wording, field))
    notice.expires_at = now + wording.lasts
    follow_up_ids = [uuid.UUID(key.split(":", 1)[1]) for key in claimed
                     if key.startswith(("follow-up:", "self-check-in:"))]  # fmt: skip
    if follow_up_ids:
        # Not a change the phones need (no version or seq): only when it was announced.
        table = FollowUp.__table__
        db.session.execute(
            update(table).where(table.c.id.in_(follow_up_ids)).values(notified_at=now)  # type: ignore[arg-type]
        )
    db.session.add_all(
        PushDelivery(
            notice_id=notice.id,
            device_id=device_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
        for device_id in device_ids
    )
    db.session.commit()
    return 1


# --- deliver ----------------------------------------------------------------------------------


def deliver(now: datetime) -> Counter[str]:
    """Send every pending delivery that is due and not leased by another run."""
    claim = secrets.token_hex(16)
    lease_ends = now + LEASE
    # Every condition sits in this one UPDATE's WHERE, which PostgreSQL re-checks on each row
    # after waiting for a concurrent run's lock (and SQLite runs writers one at a time): so a
    # row is leased by exactly one run.
    db.session.execute(
        update(PushDelivery)
        .where(
            PushDelivery.status == "pending",
            PushDelivery.next_attempt_at <= now,
            or_(PushDelivery.claimed_until.is_(None), PushDelivery.claimed_until < now),
        )
        .values(claim=claim, claimed_until=lease_ends),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    leased = db.session.scalars(
        select(PushDelivery.id).where(PushDelivery.claim == claim).order_by(PushDelivery.id)
    ).all()
    report: Counter[str] = Counter()
    unanswered_hosts: set[str] = set()
    for delivery_id in leased:
        delivery = db.session.get(PushDelivery, delivery_id)
        if delivery is None or delivery.claim != claim:  # overran its lease; another run took it
            continue
        if utcnow() >= lease_ends - timedelta(minutes=1):
            outcome = _let_go(delivery, now)  # out of time: the next run takes the rest
        else:
            try:
                outcome = _deliver_one(delivery, now, unanswered_hosts)
            except Exception:  # one bad delivery must never stop everyone else's
                log.exception("Push delivery %s failed; the run carries on", delivery_id)
                db.session.rollback()
                outcome = _fail_for_good(delivery_id)
        report[outcome] += 1
        db.session.commit()
    return report


def _deliver_one(delivery: PushDelivery, now: datetime, unanswered_hosts: set[str]) -> str:
    notice = db.session.get_one(PushNotice, delivery.notice_id)
    subscription = db.session.scalar(
        select(PushSubscription)
        .join(Device, Device.id == PushSubscription.device_id)
        .join(User, User.id == Device.user_id)
        .where(
            Device.id == delivery.device_id,
            Device.revoked_at.is_(None),
            Device.ended_at.is_(None),
            User.active.is_(True),
        )
    )
    if notice.expires_at <= now:
        return _finish(delivery, "expired")
    if subscription is None:  # unsubscribed, signed out, revoked or deactivated since
        return _finish(delivery, "unsubscribed")
    host = urlsplit(subscription.endpoint).netloc
    if host in unanswered_hosts:
        return _let_go(delivery, now)
    keys, subscription_id, delivery_id = push.keys_of(subscription), subscription.id, delivery.id
    payload = {"title": notice.title, "body": notice.body, "tag": notice.tag, "url": notice.url}
    ttl = int(min(PUSH_TTL, notice.expires_at - now).total_seconds())
    topic, urgency = notice.topic, notice.urgency
    db.session.commit()  # no transaction (on SQLite: no write lock) while the push is in flight
    result = push.post(keys, payload, topic=topic, urgency=urgency, ttl=ttl)
    delivery = db.session.get_one(PushDelivery, delivery_id)
    subscription = db.session.get(PushSubscription, subscription_id)
    if subscription is not None:
        push.record(subscription, result)
    delivery.attempts += 1
    delivery.last_status = result.status
    if result.outcome == "sent":
        delivery.sent_at = utcnow()
        return _finish(delivery, "sent")
    if result.outcome == "gone":
        return _finish(delivery, "gone")
    if result.outcome in ("misconfigured", "forbidden"):
        return _finish(delivery, "refused")
    if result.outcome == "failed":
        unanswered_hosts.add(host)
    backoff = FIRST_RETRY * 2 ** (delivery.attempts - 1)
    wait = max(backoff, timedelta(seconds=result.retry_after or 0))
    delivery.next_attempt_at = now + min(wait, LONGEST_RETRY)
    delivery.claim = delivery.claimed_until = None
    log.warning("Push delivery %s will be tried again (status %s)", delivery.id, result.status)
    return "retry"


def _fail_for_good(delivery_id: int) -> str:
    """End a delivery that raised: trying it again would raise again, every run."""
    delivery = db.session.get_one(PushDelivery, delivery_id)
    return _finish(delivery, "refused")


def _finish(delivery: PushDelivery, status: str) -> str:
    delivery.status = status
    delivery.claim = delivery.claimed_until = None
    return status


def _let_go(delivery: PushDelivery, now: datetime) -> str:
    """Leave a delivery for the next run, without counting an attempt."""
    delivery.claim = delivery.claimed_until = None
    delivery.next_attempt_at = max(delivery.next_attempt_at, now)
    return "deferred"


# --- time -------------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])


def _start_of_day(moment: datetime) -> datetime:
    local = moment.astimezone(_zone())
    return datetime.combine(local.date(), time(0), tzinfo=_zone())


def _today(now: datetime) -> tuple[datetime, datetime]:
    """The practice's today, as [start, end): local midnights, which DST can make 23 or 25 h
    apart."""
    start = _start_of_day(now)
    tomorrow = (start + timedelta(hours=36)).date()
    return start, datetime.combine(tomorrow, time(0), tzinfo=_zone())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
