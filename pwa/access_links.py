"""One-time links (build it once): a patient's invitation to the app and anyone's password reset.

A link carries a code: 12 characters of Crockford's base32 (60 random bits), shown once to the
person who made it, grouped in fours to be read out ("K7QM-4XPD-R2WA") or sent as a link. The
server keeps only an HMAC of it under SECRET_KEY. A code works once, until it expires
(INVITATION_VALID_DAYS, PASSWORD_RESET_VALID_HOURS), and not after it is revoked or a newer one
is made for the same patient or person. Tries at codes are counted per address (pwa/throttle.py):
60 bits at 20 tries an hour is out of anyone's reach. Every step is audited; callers commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from .audit import audit
from .extensions import db
from .models import AccessLink, Patient, User, utcnow

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O or U
CODE_LENGTH = 12
# What people misread or mistype, read as Crockford says: O is 0, I and L are 1.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown(code: str) -> str:
    """The code as people read it: in groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalised(typed: str) -> str | None:
    """The code someone typed or followed, as stored; None if it cannot be one."""
    if len(typed) > 64:
        return None
    code = re.sub(r"[\s-]", "", typed).upper().translate(_READ_AS)
    return code if _CODE.fullmatch(code) else None


def _digest(code: str) -> str:
    key = f"access link:{current_app.config['SECRET_KEY']}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LinkRefused:
    """Why a code does not open anything, in words for the person who has it."""

    code: str  # unknown | used | expired | revoked | account_closed
    message: str


_REFUSALS = {
    "unknown": "This code is not right. Check it, or ask for a new one.",
    "used": "This code has already been used. Sign in, or ask for a new one.",
    "expired": "This code has expired. Ask for a new one.",
    "revoked": "This code has been replaced or cancelled. Ask for a new one.",
    "account_closed": "This account has been closed. Ask your practice.",
}


def refusal(code: str) -> LinkRefused:
    return LinkRefused(code, _REFUSALS[code])


def _make(purpose: str, by: User, lasts: timedelta, *, patient: Patient | None = None,
          user: User | None = None) -> tuple[AccessLink, str]:  # fmt: skip
    """Make a link; the earlier unused links for the same patient or person stop working."""
    now = utcnow()
    if patient is not None:
        same = AccessLink.patient_id == patient.id
    elif user is not None:
        same = AccessLink.user_id == user.id
    else:
        raise ValueError("a link is for a patient or a person")
    db.session.execute(
        update(AccessLink)
        .where(same, AccessLink.purpose == purpose, AccessLink.used_at.is_(None),
               AccessLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )  # fmt: skip
    code = new_code()
    link = AccessLink(
        purpose=purpose, code_digest=_digest(code), patient=patient, user=user,
        created_by=by, created_at=now, expires_at=now + lasts,
    )  # fmt: skip
    db.session.add(link)
    db.session.flush()
    return link, code


def invite(patient: Patient, by: User) -> tuple[AccessLink, str]:
    """Invite a patient to the app: a code that makes (or, for a patient who already has an
    account, gives back) their own sign-in to their own record. Any earlier invitation stops
    working. The caller has checked `by` may change this patient (scope.may_change)."""
    days = current_app.config["INVITATION_VALID_DAYS"]
    link, code = _make("invitation", by, timedelta(days=days), patient=patient, user=patient.user)
    audit("patient.invite", patient, user_id=by.id)
    return link, code


def reset_link(user: User, by: User) -> tuple[AccessLink, str]:
    """A one-time link for `user` to choose a new password; earlier ones stop working."""
    hours = current_app.config["PASSWORD_RESET_VALID_HOURS"]
    link, code = _make("password_reset", by, timedelta(hours=hours), user=user)
    audit("user.reset_link", record_type="user", record_id=str(user.id), user_id=by.id)
    return link, code


def revoke_invitations(patient: Patient) -> int:
    """Stop every unused invitation for the patient; return how many there were."""
    result = db.session.execute(
        update(AccessLink)
        .where(AccessLink.patient_id == patient.id, AccessLink.purpose == "invitation",
               AccessLink.used_at.is_(None), AccessLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0)


def open_invitation(patient: Patient) -> AccessLink | None:
    """The patient's invitation that still works, if there is one."""
    return db.session.scalar(
        select(AccessLink)
        .where(AccessLink.patient_id == patient.id, AccessLink.purpose == "invitation",
               AccessLink.used_at.is_(None), AccessLink.revoked_at.is_(None),
               AccessLink.expires_at > utcnow())
        .order_by(AccessLink.created_at.desc())
    )  # fmt: skip


def find(code: str) -> AccessLink | LinkRefused:
    """The link a code opens, or why it opens nothing. Reads only; spending is `spend`."""
    clean = normalised(code)
    link = db.session.scalar(select(AccessLink).where(AccessLink.code_digest == _digest(clean))) \
        if clean else None  # fmt: skip
    if link is None:
        return refusal("unknown")
    if link.used_at is not None:
        return refusal("used")
    if link.revoked_at is not None:
        return refusal("revoked")
    if link.expires_at <= utcnow():
        return refusal("expired")
    if link.purpose == "invitation" and (link.patient is None or link.patient.status != "active"):
        return refusal("revoked")
    account = link.user if link.purpose == "password_reset" else (
        link.patient.user if link.patient is not None else None)  # fmt: skip
    if account is not None and not account.active:
        # Closed by someone: a reset link never opens it again, and an invitation only if it
        # was made after the account was closed (inviting again is how access comes back).
        closed = account.deactivated_at
        if link.purpose == "password_reset" or closed is None or link.created_at <= closed:
            return refusal("account_closed")
    return link


def revoke_links_of(user: User) -> int:
    """Stop every unused link that would set `user`'s password: their reset links, and the
    invitations of the patient record their account belongs to. Returns how many."""
    patient_ids = select(Patient.id).where(Patient.user_id == user.id).scalar_subquery()
    result = db.session.execute(
        update(AccessLink)
        .where((AccessLink.user_id == user.id) | AccessLink.patient_id.in_(patient_ids),
               AccessLink.used_at.is_(None), AccessLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0)


def spend(link: AccessLink) -> bool:
    """Mark the link used, once: False if another request spent it first (the database
    decides, so two tabs submitting at once cannot both use one code)."""
    result = db.session.execute(
        update(AccessLink)
        .where(AccessLink.id == link.id, AccessLink.used_at.is_(None),
               AccessLink.revoked_at.is_(None))
        .values(used_at=utcnow())
    )  # fmt: skip
    return bool(getattr(result, "rowcount", 0))
