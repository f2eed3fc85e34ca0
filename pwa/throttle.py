"""Slow down password guessing, in storage every worker process shares.

The page and the API sign in through one function (pwa/accounts.py), so they share every
counter. Counting uses the `limits` library (the one Flask-Limiter is built on): its fixed-window
strategy over either the app's own database (the default, `database://`, works with any number
of workers on SQLite or PostgreSQL) or Redis (`RATELIMIT_STORAGE_URI=redis://...`, with the
`redis` package installed).

Keys follow OWASP's "device cookie" scheme, so one address cannot lock every account out, and
guessing one account from many addresses is still slow:

- A browser that has signed in as a person before holds a signed *known-browser cookie* for that
  username. Its tries count against that cookie alone (SIGN_IN_KNOWN_BROWSER_LIMITS): an attack
  on the account or from the same address (a practice's shared NAT) never locks it out.
- Any other try counts against the username from that address (SIGN_IN_LIMITS), the username
  from anywhere (SIGN_IN_USERNAME_LIMITS) and the address for every username
  (SIGN_IN_ADDRESS_LIMITS).

Every try is counted before its password is checked (atomically, so a burst cannot slip
through), refused unchecked once a counter is over, and given back if it succeeds: only
failures count. Keys hold keyed digests of usernames: the storage never names a person.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select
from sqlalchemy.exc import SQLAlchemyError

from .database import dialect_insert
from .extensions import db
from .models import RateLimitCounter, utcnow

KNOWN_BROWSER_COOKIE = "lw_known_browser"
KNOWN_BROWSER_DAYS = 365


class DatabaseStorage(Storage):
    """A `limits` storage in the app's database (`database://`): one row per counter window.

    Runs in the request's own transaction (db.session): a failure's count commits with its
    audit row, and on SQLite no second connection waits on the first one's write lock.
    """

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:  # fmt: skip
        super().__init__(uri, wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = utcnow()
        until = now + timedelta(seconds=expiry)
        table = RateLimitCounter.__table__
        # Windows that ended are of no more use to anyone.
        db.session.execute(
            delete(RateLimitCounter).where(
                RateLimitCounter.expires_at <= now, RateLimitCounter.key != key
            )
        )
        expired = table.c.expires_at <= now
        fresh = max(amount, 0)  # a try given back after its window ended leaves nothing
        statement = (
            dialect_insert(table)
            .values(key=key, count=fresh, expires_at=until)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((expired, fresh), else_=table.c.count + amount),
                    "expires_at": case((expired, until), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count)
        )
        return int(db.session.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        count = db.session.scalar(
            select(RateLimitCounter.count).where(
                RateLimitCounter.key == key, RateLimitCounter.expires_at > utcnow()
            )
        )
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        until = db.session.scalar(
            select(RateLimitCounter.expires_at).where(RateLimitCounter.key == key)
        )
        return until.timestamp() if until is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return int(db.session.execute(delete(RateLimitCounter)).rowcount)  # type: ignore[attr-defined]

    def clear(self, key: str) -> None:
        db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


@dataclass(frozen=True)
class Attempt:
    """Who is trying to sign in, as the counters see it (digests, never the username)."""

    username: str  # digest of the normalised username
    address: str
    known_browser: str | None  # the nonce of a known-browser cookie valid for this username

    def limits(self) -> list[tuple[str, RateLimitItem, tuple[str, ...]]]:
        """Each limit that applies to this try: (name, limit, key parts)."""
        config = current_app.config
        if self.known_browser is not None:
            return [("known-browser", parse(config["SIGN_IN_KNOWN_BROWSER_LIMITS"]),
                     (self.known_browser,))]  # fmt: skip
        return [
            ("user-address", parse(config["SIGN_IN_LIMITS"]), (self.username, self.address)),
            ("user", parse(config["SIGN_IN_USERNAME_LIMITS"]), (self.username,)),
            ("address", parse(config["SIGN_IN_ADDRESS_LIMITS"]), (self.address,)),
        ]


def username_digest(username: str) -> str:
    """A fixed-length key for a username, as typed and normalised; never the name itself.

    Keyed with SECRET_KEY, so a copy of the counters cannot be read back with a list of names.
    """
    normalised = username.strip().lower()
    # surrogatepass: any text a JSON body can hold gives a key (the sign-in then fails).
    return _mac("username", normalised.encode("utf-8", "surrogatepass"))


def attempt_for(username: str, password_hash: str | None) -> Attempt:
    """Describe this request's try at `username`, reading its known-browser cookie.

    `password_hash` is the account's, if there is one: a known-browser cookie vouches for the
    browser only until the password changes.
    """
    digest = username_digest(username)
    return Attempt(digest, _address(), _known_browser(digest, password_hash))


@dataclass(frozen=True)
class Spent:
    """A try refused unchecked: how long to wait, and which counters are over."""

    wait: int
    limits: frozenset[str]  # known-browser | user-address | user | address


def take_a_try(attempt: Attempt) -> Spent | None:
    """Count this try against every limit that applies, before its password is checked.

    Counting first, in one atomic step per counter, is what holds the limit when many tries
    arrive at once. Returns what is spent if a counter is now over its limit (the try is then
    refused unchecked), else None. A try that succeeds is given back (`succeeded`).
    """
    limiter = _limiter()
    over = {
        name: _seconds_until(limiter.get_window_stats(limit, "sign-in", name, *parts).reset_time)
        for name, limit, parts in attempt.limits()
        if not limiter.hit(limit, "sign-in", name, *parts)
    }
    return Spent(max(over.values()), frozenset(over)) if over else None


def take_a_code_try() -> Spent | None:
    """Count a try at a one-time code (pwa/access_links.py) against this address.

    Returns what is spent if the address is over ACCESS_CODE_ADDRESS_LIMITS, else None.
    """
    limiter = _limiter()
    limit = parse(current_app.config["ACCESS_CODE_ADDRESS_LIMITS"])
    address = _address()
    if limiter.hit(limit, "access-code", "address", address):
        return None
    reset = limiter.get_window_stats(limit, "access-code", "address", address).reset_time
    return Spent(_seconds_until(reset), frozenset({"address"}))


def forget_username(username: str) -> None:
    """Clear the username's counters: after an admin set a new password, its owner gets in."""
    digest = username_digest(username)
    limiter = _limiter()
    limiter.clear(parse(current_app.config["SIGN_IN_USERNAME_LIMITS"]), "sign-in", "user", digest)
    if isinstance(limiter.storage, DatabaseStorage):  # one per address: found by their prefix
        prefix = f"LIMITER/sign-in/user-address/{digest}/"
        db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.key.startswith(prefix)))


def succeeded(attempt: Attempt) -> None:
    """Only failures count: give this try back, and forget this browser's failures here."""
    limiter = _limiter()
    for name, limit, parts in attempt.limits():
        if name in ("known-browser", "user-address"):
            limiter.clear(limit, "sign-in", name, *parts)
        else:  # shared with others' tries: give back only this one
            limiter.hit(limit, "sign-in", name, *parts, cost=-1)


def remember_browser(response: Response, username: str, password_hash: str) -> None:
    """Give a browser that signed in a known-browser cookie for this username (a year)."""
    value = _serializer().dumps({"u": username_digest(username), "n": secrets.token_urlsafe(16),
                                 "p": _password_tag(password_hash)})  # fmt: skip
    config = current_app.config
    response.set_cookie(
        KNOWN_BROWSER_COOKIE, value, max_age=KNOWN_BROWSER_DAYS * 86400, path="/",
        secure=config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
    )  # fmt: skip


def _known_browser(digest: str, password_hash: str | None) -> str | None:
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE)
    if not raw or len(raw) > 500 or password_hash is None:
        return None
    try:
        value = _serializer().loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:  # forged, or older than a year (SignatureExpired is one)
        return None
    if (
        not isinstance(value, dict)
        or value.get("u") != digest
        or value.get("p") != _password_tag(password_hash)
        or not isinstance(value.get("n"), str)
    ):
        return None
    return str(value["n"])


def _address() -> str:
    """The caller's address as counted: an IPv6 caller by its /64, which one holder has."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


def _password_tag(password_hash: str) -> str:
    return _mac("password", password_hash.encode())[:16]


def _mac(purpose: str, value: bytes) -> str:
    key = f"sign-in {purpose}:{current_app.config['SECRET_KEY']}".encode()
    return hmac.new(key, value, hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-browser")


def _seconds_until(reset_time: float) -> int:
    return max(1, math.ceil(reset_time - time.time()))


def _limiter() -> FixedWindowRateLimiter:
    limiter: FixedWindowRateLimiter = current_app.extensions["sign_in_limiter"]
    return limiter


def init_app(app: Flask) -> None:
    """Open the configured counter storage once per app."""
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["sign_in_limiter"] = FixedWindowRateLimiter(storage)
