"""Hash and check passwords with argon2id."""

from __future__ import annotations

import contextlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 12


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password with the configured cost."""
    return _hasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Return whether the password matches the hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether a hash was made with weaker settings than the configured ones."""
    return _hasher().check_needs_rehash(password_hash)


def decoy_hash() -> str:
    """A hash of nothing anyone knows, made once per process and cost setting.

    Sign-in asks for it on every try, known username or not, so the one try that makes it costs
    the same extra either way.
    """
    hasher = _hasher()
    settings = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    decoys: dict[tuple[int, int, int], str] = current_app.extensions.setdefault("decoy_hash", {})
    if settings not in decoys:
        decoys[settings] = hasher.hash(secrets.token_urlsafe(16))
    return decoys[settings]


def waste_equal_time(password: str) -> None:
    """Spend as long as one real check, so a wrong username is not told apart by timing."""
    with contextlib.suppress(VerificationError):
        _hasher().verify(decoy_hash(), password)
