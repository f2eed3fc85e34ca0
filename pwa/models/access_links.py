"""One-time links: a patient's invitation to the app, and anyone's password reset.

Both are the same thing underneath (build it once): a secret given to one person, good once, for
a short while, stored only as a keyed digest. pwa/access_links.py makes, finds and spends them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, utcnow
from .patients import Patient
from .users import User

LINK_PURPOSES = ("invitation", "password_reset")


class AccessLink(Model):
    __tablename__ = "access_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    # HMAC-SHA-256 of the code under the app's secret key: a copy of the database alone cannot
    # be turned back into working codes, even by trying every one.
    code_digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # An invitation names the patient record it links an account to; a reset, the account.
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient | None] = relationship(foreign_keys=[patient_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class CheckInLook(Model):
    """A staff member has looked at a patient's own check-in that crossed a help threshold.

    Kept beside the check-in, not on it: a check-in's content is immutable once synced. Being seen
    reaches the link worker's phone all the same (its caseload tags what waits): marking one
    seen touches the check-in, so the feed sends it again with `seen` true (pwa/looks.py).
    """

    __tablename__ = "check_in_looks"

    check_in_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("check_ins.id"), primary_key=True)
    seen_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    seen_by: Mapped[User] = relationship()


class PracticeText(Model):
    """Words the practice writes for its patients (what a link worker can help with, the
    practice's phone number), edited by its admins."""

    __tablename__ = "practice_texts"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(String(4000), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
