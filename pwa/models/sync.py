"""What the sync protocol remembers besides the records: scope exits and changes kept for review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import UTCDateTime, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite auto-increments INTEGER keys only


class ScopeExit(Model):
    """A patient left a link worker's caseload (reassigned or discharged) at change `seq`.

    The feed turns it into `deleted` entries so the phone purges the patient, and a later write
    from that phone is recognised as out of scope rather than as a stranger's.
    """

    __tablename__ = "scope_exits"
    __table_args__ = (Index("ix_scope_exits_user_seq", "user_id", "seq"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SyncReview(Model):
    """A phone's change the server did not apply (a conflict, or out of scope), kept to review."""

    __tablename__ = "sync_reviews"
    # The same change resent many times is kept once; a phone's open ones are counted to bound
    # how many it can leave (pwa/sync/apply.py).
    __table_args__ = (
        UniqueConstraint("record_id", "content_hash"),
        Index("ix_sync_reviews_device_open", "device_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)  # conflict, out_of_scope...
    record_type: Mapped[str] = mapped_column(String(20), nullable=False)
    record_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    base_version: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
