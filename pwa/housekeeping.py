"""Housekeeping the reminders' bookkeeping: push notices, their claims and deliveries are kept for
a while to show what was sent, then pruned. The audit trail is never pruned, here or anywhere.

A claim says "this was announced", so that nothing is announced twice (pwa/reminders.py). One
is pruned only once what it announced can never be found again by a reminder run:

- `check-in:<id>`: runs look at check-ins received in the last CHECK_IN_LOOKBACK; a claim
  older than that names one no run will see again, except a correction sent weeks later (it
  is claimed under the check-in it corrects): past the retention, that is news, and its
  link worker hears of it as of a new check-in.
- `self-check-in:<id>`: runs look at self check-ins due in the last SELF_CHECK_IN_LOOKBACK;
  likewise.
- `follow-up:<id>`: runs look at every open follow-up, however overdue: its claim goes only
  once the follow-up is done (or gone). An open one keeps its claim, and its notice, for ever.

Then a notice older than the retention goes, with its deliveries, once none of them is still
pending and no claim points at it. Run by the same timer as `send-reminders`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Delete, and_, delete, exists, or_, select
from sqlalchemy.engine import CursorResult

from .extensions import db
from .models import FollowUp, PushClaim, PushDelivery, PushNotice, utcnow
from .reminders import CHECK_IN_LOOKBACK, SELF_CHECK_IN_LOOKBACK

DEFAULT_RETENTION = timedelta(days=30)


def prune_push(now: datetime | None = None, keep: timedelta = DEFAULT_RETENTION) -> Counter[str]:
    """Delete what the reminders no longer need, older than `keep`; return how many of each.

    One transaction: a run that fails deletes nothing. Safe beside a reminder run: a claim it
    makes now is younger than any cutoff here, and a notice with a pending delivery stays.
    """
    now = now or utcnow()
    cutoff = now - keep
    removed: Counter[str] = Counter(claims=0, deliveries=0, notices=0)
    removed["claims"] = _delete(
        delete(PushClaim).where(PushClaim.at < cutoff, or_(
            and_(PushClaim.key.startswith("check-in:"), PushClaim.at < now - CHECK_IN_LOOKBACK),
            and_(PushClaim.key.startswith("self-check-in:"),
                 PushClaim.at < now - SELF_CHECK_IN_LOOKBACK),
        ))
    )  # fmt: skip
    removed["claims"] += _prune_follow_up_claims(cutoff)
    old = select(PushNotice.id).where(
        PushNotice.created_at < cutoff,
        ~exists().where(PushClaim.notice_id == PushNotice.id),
        ~exists().where(PushDelivery.notice_id == PushNotice.id, PushDelivery.status == "pending"),
    )
    old_ids = list(db.session.scalars(old))
    for start in range(0, len(old_ids), 500):  # in chunks: a long list of ids in one IN (...)
        chunk = old_ids[start : start + 500]
        removed["deliveries"] += _delete(
            delete(PushDelivery).where(PushDelivery.notice_id.in_(chunk))
        )
        removed["notices"] += _delete(delete(PushNotice).where(PushNotice.id.in_(chunk)))
    db.session.commit()
    return removed


def _delete(statement: Delete) -> int:
    """Run a DELETE and return how many rows it removed."""
    result = cast(CursorResult[Any], db.session.execute(statement))
    return int(result.rowcount or 0)


def _prune_follow_up_claims(cutoff: datetime) -> int:
    """Claims of follow-ups done (or gone) since: an open one may be announced again if its
    claim went, so it stays. The ids are read from the keys here, as reminders.py wrote them."""
    keys = list(db.session.scalars(
        select(PushClaim.key).where(PushClaim.at < cutoff, PushClaim.key.startswith("follow-up:"))
    ))  # fmt: skip
    removed = 0
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        ids = {key: uuid.UUID(key.removeprefix("follow-up:")) for key in chunk}
        still_open = set(db.session.scalars(
            select(FollowUp.id).where(FollowUp.id.in_(ids.values()), FollowUp.done_at.is_(None))
        ))  # fmt: skip
        done = [key for key, follow_up_id in ids.items() if follow_up_id not in still_open]
        if done:
            removed += _delete(delete(PushClaim).where(PushClaim.key.in_(done)))
    return removed
