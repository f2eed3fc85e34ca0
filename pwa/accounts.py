"""What happens to a person's account: signing in (page and API alike), a new password, a new
role, deactivation. Each change ends the sessions and phone sign-ins it must (pwa/sessions.py)
and is audited; callers commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from .access_links import revoke_links_of
from .audit import audit
from .devices import revoke_devices_of
from .extensions import db
from .models import ROLES, Patient, User, WebSession, utcnow
from .passwords import (
    check_password,
    decoy_hash,
    hash_password,
    needs_rehash,
    waste_equal_time,
)
from .sessions import end_sessions_of
from .throttle import Spent, attempt_for, forget_username, succeeded, take_a_try

WRONG = "The username or password is not right."
DEACTIVATED = "This account has been deactivated. Ask your practice admin."


@dataclass(frozen=True)
class SignInRefused:
    """Why a sign-in did not happen, in words for the person, and how long to wait if throttled."""

    code: str  # invalid_credentials | deactivated | too_many_requests
    message: str
    retry_after: int | None = None


def sign_in_with_password(username: str, password: str) -> User | SignInRefused:
    """Check a username and password, throttled (pwa/throttle.py) and audited. Commits.

    The page and the API both sign in here, so they share the counters. The try is counted
    first, and one that goes over a limit is refused before its password is checked; a try
    that succeeds is given back. A wrong username costs one password check, as a wrong
    password does. No transaction is open while the password is checked (on SQLite that would
    hold every other writer up for as long). Every failure writes an audit row naming the
    account tried, if there is one. After a success the caller gives the browser its
    known-browser cookie (throttle.remember_browser).
    """
    account: User | None = db.session.scalar(
        select(User).where(User.username == username.strip().lower())
    )
    stored = account.password_hash if account is not None else None
    account_id = account.id if account is not None else None
    attempt = attempt_for(username, stored)
    spent = take_a_try(attempt)
    if spent is not None:
        audit("sign_in.throttled", record_type="user",
              record_id=str(account_id) if account_id else None)  # fmt: skip
        db.session.commit()
        return SignInRefused("too_many_requests", _wait_message(spent), spent.wait)
    db.session.commit()  # the try is counted, whatever happens next
    decoy_hash()  # made on a process's first try, whichever kind it is
    if stored is None:
        waste_equal_time(password)
        right = False
    else:
        right = check_password(stored, password)
    account = db.session.get(User, account_id) if account_id is not None else None
    if account is None or not right or not account.active or account.password_hash != stored:
        audit("sign_in.failed", record_type="user",
              record_id=str(account_id) if account_id else None)  # fmt: skip
        db.session.commit()
        if right and account is not None and not account.active:
            return SignInRefused("deactivated", DEACTIVATED)
        return SignInRefused("invalid_credentials", WRONG)
    succeeded(attempt)
    if needs_rehash(stored):
        account.password_hash = hash_password(password)
    return account


def _wait_message(spent: Spent) -> str:
    minutes = -(-spent.wait // 60)
    wait = f"wait {minutes} minute{'' if minutes == 1 else 's'}"
    if spent.limits == {"address"}:  # the network's count, not this person's
        return (
            "Too many failed sign-ins have come from this network. For your security, "
            f"{wait}, or sign in on a phone or computer you have signed in on before."
        )
    if "known-browser" in spent.limits:
        return f"Too many wrong passwords on this device. For your security, {wait}."
    return (
        f"Too many wrong passwords for this username. For your security, {wait} before "
        "trying again, or ask your practice admin to set you a new password."
    )


def confirm_password(user: User, password: str) -> SignInRefused | None:
    """Check that the signed-in `user` knows their password (before they change it): None if
    they do, else why not.

    It is a sign-in try in all but name, so it goes through `sign_in_with_password`: throttled
    with the same counters, and a wrong one audited as a failed sign-in. A stolen session can
    then guess the password no faster than the sign-in page allows. Commits.
    """
    outcome = sign_in_with_password(user.username, password)
    if isinstance(outcome, SignInRefused):
        return outcome
    if outcome.id != user.id:  # cannot happen while usernames are unique; never trust it
        return SignInRefused("invalid_credentials", WRONG)
    return None


def change_password(user: User, password: str, *, keep: WebSession | None = None) -> None:
    """Give a person a new password; every session and phone of theirs signs in again, and
    the wrong tries counted against their username are forgotten. A temporary password
    (`must_change_password`) is replaced by it.

    `keep`: the person's own session making the change carries on, with its phones.
    """
    user.password_hash = hash_password(password)
    # A reset link given before stops working: it would undo the password just chosen.
    revoke_links_of(user)
    forget_username(user.username)
    end_sessions_of(user, "password_changed", keep=keep)
    audit("user.password_change", record_type="user", record_id=str(user.id))
    if user.must_change_password:
        user.must_change_password = False
        audit("user.temporary_password_replaced", record_type="user", record_id=str(user.id))


class RoleChangeRefused(ValueError):
    """A role change that would leave records without the person they belong to."""


def change_role(user: User, role: str) -> None:
    """Give a person a new role: what they may see changes, so they sign in again everywhere.

    Raises RoleChangeRefused between a patient's account and a staff one (a patient account
    belongs to one patient's record), and for a link worker who still has active patients.
    """
    if role not in ROLES:
        raise RoleChangeRefused(f"There is no role called {role!r}.")
    if role == user.role:
        return
    if "patient" in (role, user.role):
        raise RoleChangeRefused(
            "A patient's account cannot become a staff account, or the other way round: "
            "create a new account instead."
        )
    if user.role == "link_worker":
        active = db.session.scalar(
            select(func.count(Patient.id)).where(
                Patient.link_worker_id == user.id, Patient.status == "active"
            )
        )
        if active:
            raise RoleChangeRefused(
                f"{user.display_name} is the link worker of {active} active patient"
                f"{'' if active == 1 else 's'}: give them to another link worker first."
            )
    user.role = role
    end_sessions_of(user, "role_changed")
    audit("user.role_change", record_type="user", record_id=str(user.id))


def deactivate(user: User) -> None:
    """Turn a person's access off: sessions end and phones are cut off (they wipe their data)."""
    user.active = False
    user.deactivated_at = utcnow()
    revoke_links_of(user)  # no code given earlier may open the account again
    revoke_devices_of(user)
    end_sessions_of(user, "deactivated")
    audit("user.deactivate", record_type="user", record_id=str(user.id))


def reactivate(user: User) -> None:
    """Let a person sign in again (each phone enrols afresh)."""
    user.active = True
    user.deactivated_at = None
    audit("user.activate", record_type="user", record_id=str(user.id))
