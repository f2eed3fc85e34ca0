"""Read the fields of a phone's record: each reader returns a clean value or raises Invalid."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any


class Invalid(ValueError):
    """A field's value cannot be used; the message is for the person who typed it."""


def text(value: Any, *, max_length: int, required: bool = False) -> str:
    """Return a string without NUL bytes, within the length."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid("Must be text.")
    if "\x00" in value:
        raise Invalid("Must not contain NUL characters.")
    value = value.strip()
    if required and not value:
        raise Invalid("Required.")
    if len(value) > max_length:
        raise Invalid(f"Must be at most {max_length} characters.")
    return value


def optional_text(value: Any, *, max_length: int) -> str | None:
    return text(value, max_length=max_length) or None


def record_id(value: Any) -> uuid.UUID:
    """Return a UUID given as a string."""
    if not isinstance(value, str):
        raise Invalid("Must be a UUID string.")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid("Must be a UUID string.") from None


def optional_record_id(value: Any) -> uuid.UUID | None:
    return None if value is None else record_id(value)


def moment(value: Any) -> datetime:
    """Return an ISO 8601 date and time that states its offset from UTC."""
    if not isinstance(value, str):
        raise Invalid("Must be an ISO 8601 date and time.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("Must be an ISO 8601 date and time.") from None
    if parsed.tzinfo is None:
        raise Invalid("Must include a UTC offset, like +01:00 or Z.")
    return parsed


def optional_moment(value: Any) -> datetime | None:
    return None if value is None else moment(value)


def day(value: Any) -> date | None:
    """Return an ISO 8601 date, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("Must be an ISO 8601 date.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Must be an ISO 8601 date.") from None


def choice(value: Any, choices: Any, *, default: str | None = None) -> str:
    """Return one of the allowed codes."""
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or value not in choices:
        raise Invalid(f"Must be one of: {', '.join(choices)}.")
    return value


def codes(value: Any, allowed: Any) -> list[str]:
    """Return a list of allowed codes, in the canonical order."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid("Must be a list of codes.")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise Invalid(f"Unknown: {', '.join(unknown)}.")
    return [code for code in allowed if code in value]


def flag(value: Any, *, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Invalid("Must be true or false.")
    return value
