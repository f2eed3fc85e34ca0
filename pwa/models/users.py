"""People who sign in, and the devices they have enrolled."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import UTCDateTime, utcnow

ROLES = ("admin", "link_worker", "patient")
ROLE_NAMES = {"admin": "Practice admin", "link_worker": "Link worker", "patient": "Patient"}
STAFF_ROLES = ("admin", "link_worker")


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A password someone else chose (an admin's temporary one): the person must choose their
    # own before anything else (pwa/views/account.py).
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )

    devices: Mapped[list[Device]] = relationship(back_populates="user")

    def get_id(self) -> str:
        """Flask-Login keeps this in the cookie: the key of this request's web session, not the
        user's id, so a copied cookie names a session the server can end (pwa/sessions.py)."""
        from ..sessions import session_key_for

        return session_key_for(self)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of inactive users
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


class WebSession(Model):
    """One signed-in browser session. The cookie holds a random key; only its digest is kept.

    A session ends on the server (ended_at) at sign-out, a password or role change, a
    deactivation, or PERMANENT_SESSION_LIFETIME after it began; an ended session's cookie is
    worth nothing, wherever it was copied to.
    """

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # signed_out | replaced (someone signed in over it) | password_changed | role_changed |
    # deactivated
    end_reason: Mapped[str | None] = mapped_column(String(20))
    # The phone it runs on locked (pwa/views/app_shell.py): its pages answer with the data-free
    # shell until that phone, unlocked with its PIN, says so with its device token.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Device(Model):
    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    # Only a hash is kept: the token itself is shown to the device once.
    token_hash: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The end of its last sync: what the admin's devices page shows (pwa/phones.py).
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Revoked (an admin cut the phone off, or the person was deactivated): the phone wipes
    # what it holds. Ended (signed out, password or role changed): the token stops working,
    # and the phone keeps everything until its person signs in again.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    # The web session that enrolled this phone, if a page did: signing that session out ends it.
    web_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("web_sessions.id"), index=True
    )
    # The key that opens what this phone holds (pwa/phone_keys.py); every enrolment of the
    # same phone shares it.
    phone_key_id: Mapped[str | None] = mapped_column(ForeignKey("phone_keys.id"), index=True)

    user: Mapped[User] = relationship(back_populates="devices")


class PhoneKey(Model):
    """A phone's device key: one of the two keys that open the records sealed on that phone.

    The phone keeps its data key wrapped under this key (and under its PIN); the server keeps
    this key and gives it out only to the phone's own person right after they sign in with
    their password. Revoked, it is never given out again, so a lost phone whose PIN copy is
    gone can never open its records, even if it never comes online (docs/phone-data.md).
    """

    __tablename__ = "phone_keys"

    # Random, chosen by the server, stored on the phone in plain: a name, not a secret.
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
