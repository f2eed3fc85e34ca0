"""Hash and check passwords with argon2id."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from .extensions import db
from .models import User

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


def user_with_password(username: str, password: str) -> User | None:
    """Return the user these credentials belong to (active or not), or None.

    Also rehashes a password stored with weaker settings than the configured ones. A wrong
    username takes as long as a wrong password, so timing does not tell which was wrong.
    """
    user = db.session.scalar(db.select(User).where(User.username == username.strip().lower()))
    if user is None:
        waste_equal_time(password)
        return None
    if not check_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def waste_equal_time(password: str) -> None:
    """Spend as long as a real check, so a wrong username is not told apart by timing."""
    hasher = _hasher()
    with contextlib.suppress(VerificationError):
        hasher.verify(hasher.hash("not a real password"), password)
