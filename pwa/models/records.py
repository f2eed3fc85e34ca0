"""What happens with a patient: check-ins, follow-ups and referrals to community assets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import Synced, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .access_links import CheckInLook
    from .assets import CommunityAsset
    from .patients import Patient
    from .users import User

CHECKIN_SOURCES = ("link_worker", "self")
FOLLOW_UP_KINDS = {"visit": "Visit", "call": "Phone call", "self_checkin": "Self check-in"}
# How a follow-up went, said when it is marked done (optional).
FOLLOW_UP_OUTCOMES = {
    "met": "Met them",
    "spoke": "Spoke on the phone",
    "no_answer": "No answer",
    "left_message": "Left a message",
    "not_needed": "No longer needed",
}
# A quick contact: what happened, when no measure was taken (or alongside one).
CONTACT_KINDS = {
    "visit": "Visit",
    "phone": "Phone call",
    "message": "Message",
    "no_answer": "No answer",
    "group_session": "Group session",
}
REFERRAL_STATUSES = {
    "suggested": "Suggested",
    "referred": "Referred",
    "attended": "Attended",
    "declined": "Declined",
}


@lru_cache(maxsize=64)
def zone_at(minutes: int) -> timezone:
    """The fixed time zone this many minutes from UTC (a phone's offset when it recorded);
    made once per offset: the feed asks for one per record it sends."""
    return timezone(timedelta(minutes=minutes))


class CheckIn(Synced, Model):
    """A wellbeing check-in. Immutable once stored: a correction is a new one that `amends` it."""

    __tablename__ = "check_ins"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id"), nullable=False, index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    # The phone's clock (as an instant, with the offset it was given in) and the server's clock:
    # the server never orders by client time, but people want to see when the visit happened.
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    captured_utc_offset: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Indexed for send-reminders, which looks at the last two days' arrivals every 5 minutes.
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    measures: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, nullable=False)
    scores: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, nullable=False)
    needs: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    amends_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("check_ins.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))

    patient: Mapped[Patient] = relationship(back_populates="check_ins")
    author: Mapped[User] = relationship()
    # Whether staff have looked at it (a patient's own check-in that crossed a help threshold).
    # Loaded with the check-ins it belongs to, one query for all: the staff feed says it.
    look: Mapped[CheckInLook | None] = relationship(lazy="selectin", viewonly=True, uselist=False)

    @property
    def captured_at_local(self) -> datetime:
        """Return when the check-in was captured, in the time zone the phone was in."""
        try:
            offset = zone_at(self.captured_utc_offset)
            return self.captured_at.astimezone(offset)
        except (ValueError, OverflowError):  # an offset or instant no clock gives: show it in UTC
            return self.captured_at


class Contact(Synced, Model):
    """A contact with a patient, logged in seconds: a visit, a call, a message, a call nobody
    answered, a group session. Immutable once stored, like a check-in: it says what happened."""

    __tablename__ = "contacts"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id"), nullable=False, index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # one of CONTACT_KINDS
    # When it happened, by the phone's clock, with the offset it was given in (as a check-in).
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    happened_utc_offset: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    patient: Mapped[Patient] = relationship(back_populates="contacts")
    author: Mapped[User] = relationship()

    @property
    def kind_name(self) -> str:
        return CONTACT_KINDS.get(self.kind, self.kind)

    @property
    def happened_at_local(self) -> datetime:
        """Return when it happened, in the time zone the phone was in."""
        try:
            return self.happened_at.astimezone(zone_at(self.happened_utc_offset))
        except (ValueError, OverflowError):
            return self.happened_at


class FollowUp(Synced, Model):
    __tablename__ = "follow_ups"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id"), nullable=False, index=True
    )
    assigned_to_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), nullable=False, index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(30))  # one of FOLLOW_UP_OUTCOMES
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship(back_populates="follow_ups")
    assigned_to: Mapped[User] = relationship()

    @property
    def kind_name(self) -> str:
        return FOLLOW_UP_KINDS.get(self.kind, self.kind)

    @property
    def outcome_name(self) -> str:
        return FOLLOW_UP_OUTCOMES.get(self.outcome or "", "")

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at < datetime.now(UTC)


class AssetReferral(Synced, Model):
    __tablename__ = "asset_referrals"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id"), nullable=False, index=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("community_assets.id"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="suggested")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # When it reached "referred" and "attended" (server time, set by pwa/casework/referrals.py),
    # for the outcomes report's time from referral to attendance.
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)

    patient: Mapped[Patient] = relationship(back_populates="referrals")
    asset: Mapped[CommunityAsset] = relationship()
    created_by: Mapped[User] = relationship()

    @property
    def status_name(self) -> str:
        return REFERRAL_STATUSES.get(self.status, self.status)
