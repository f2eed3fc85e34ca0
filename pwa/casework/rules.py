"""The rules a record's fields must meet, whichever way they arrive (a page's form or a phone).

Pure functions with no Flask or database: each returns the clean value or raises Invalid with a
message for the person who typed it. The forms and the sync shapes both call these.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ..nhs_number import is_valid_nhs_number, normalise_nhs_number


class Invalid(ValueError):
    """A value that cannot be stored; the message is for the person who typed it."""


# The shape of a full UK postcode (outward code, space optional, inward code).
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
# Lone surrogates cannot be written as UTF-8, and NUL cannot be stored in PostgreSQL text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

EARLIEST_BIRTH = date(1900, 1, 1)
# A phone's clock may be a little ahead; a check-in a day in the future is a wrong clock or typo.
CLOCK_SKEW = timedelta(days=1)
EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=UTC)
# Follow-ups are booked, and marked done, within ten years of today either way.
FOLLOW_UP_WINDOW = timedelta(days=3653)


def storable_text(value: str) -> str:
    """Refuse text holding NUL or half of a surrogate pair: no keyboard types them."""
    if _UNSTORABLE.search(value):
        raise Invalid("Must be plain text (it holds a character that cannot be stored).")
    return value


def date_of_birth(value: date, today: date | None = None) -> date:
    """Return a date of birth from 1900 to today."""
    if value > (today or date.today()):
        raise Invalid("Date of birth must be in the past")
    if value < EARLIEST_BIRTH:
        raise Invalid("Date of birth must be after 1900")
    return value


def nhs_number(value: str) -> str:
    """Return the 10 digits of a valid NHS number typed with or without spaces."""
    if not is_valid_nhs_number(value):
        raise Invalid("NHS number must be 10 digits with a correct check digit, like 943 476 5919")
    return normalise_nhs_number(value)


def postcode(value: str) -> str:
    """Return a UK postcode in capitals with one space, as Royal Mail writes it."""
    match = POSTCODE.match(value.strip().upper())
    if not match:
        raise Invalid("Enter a real postcode, like LS1 4AP")
    return f"{match.group(1)} {match.group(2)}"


def phone(value: str) -> str:
    """Return a phone number as typed, if it looks like one."""
    if not PHONE.match(value.strip()):
        raise Invalid("Enter a phone number, like 0113 496 0000 or +44 7700 900000")
    return value.strip()


def captured_at(value: datetime, now: datetime | None = None) -> datetime:
    """Return when a check-in was captured (or a contact happened): from 2000 to a day ahead."""
    now = now or datetime.now(UTC)
    if value > now + CLOCK_SKEW:
        raise Invalid("Is in the future: check the phone's clock.")
    if value < EARLIEST_CAPTURE:
        raise Invalid("Must be after 1 January 2000: check the phone's clock.")
    return value


def contact_moment(day: date | None, at: time | None, zone: tzinfo, now: datetime) -> datetime:
    """When a contact happened, from a form's optional date and time (offline-forms.mjs's
    `contactMoment` reads the phone's form the same way):

    - neither: now; a time alone: that time today;
    - a date alone: now, if it is today; else midday that day (an afternoon's contact is
      logged on the right day, and no one is asked for a time they do not remember);
    - a moment still to come is refused: a contact is logged once it has happened.
    """
    today = now.astimezone(zone).date()
    if day is None and at is None:
        return now
    if at is None:
        if day == today:
            return now
        at = time(12, 0)
    moment = datetime.combine(day or today, at, zone)
    if moment > now:
        raise Invalid("Must not be later than now: log a contact once it has happened")
    return moment


def follow_up_moment(value: datetime, now: datetime | None = None) -> datetime:
    """Return when a follow-up is due (or was done): within ten years of today."""
    now = now or datetime.now(UTC)
    if not now - FOLLOW_UP_WINDOW <= value <= now + FOLLOW_UP_WINDOW:
        raise Invalid("Must be within ten years of today.")
    return value
