"""Web Push: subscriptions (one per device), the notices the server sends, and what each
delivery to a phone did."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite auto-increments INTEGER keys only

NOTICE_KINDS = ("follow_ups", "check_ins", "self_check_in")
# pending: to send (now, or at next_attempt_at); the rest are final.
DELIVERY_STATUSES = ("pending", "sent", "gone", "refused", "expired", "unsubscribed")


class PushSubscription(Model):
    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id"), nullable=False, index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True, nullable=False)
    p256dh: Mapped[str] = mapped_column(String(200), nullable=False)
    auth: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PushNotice(Model):
    """One notification for one person, worded with no patient detail (pwa/reminders.py).

    It is made in the same transaction that claims what it is about (PushClaim), so the same
    follow-up or check-in can never be announced twice, however many runs overlap.
    """

    __tablename__ = "push_notices"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(100), nullable=False)
    body: Mapped[str] = mapped_column(String(200), nullable=False)
    url: Mapped[str] = mapped_column(String(200), nullable=False)
    tag: Mapped[str] = mapped_column(String(40), nullable=False)
    topic: Mapped[str] = mapped_column(String(32), nullable=False)
    urgency: Mapped[str] = mapped_column(String(10), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Not delivered by then (a push service refusing for hours): dropped, as news that is stale.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class PushClaim(Model):
    """What a notice announced (`follow-up:<id>`, `check-in:<id>`, `self-check-in:<id>`).

    The key is the primary key and is inserted with ON CONFLICT DO NOTHING: whichever run
    inserts it first announces it, and every other run finds it taken.
    """

    __tablename__ = "push_claims"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("push_notices.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class PushDelivery(Model):
    """One notice to one of its person's devices, and every attempt at it.

    A run leases the pending rows it will send (`claimed_until`) in one UPDATE, so two runs at
    once never send the same row; a run that dies mid-way lets go when the lease ends.
    """

    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "device_id"),
        Index("ix_push_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("push_notices.id"), nullable=False)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
    last_status: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
