"""The record types a phone can send: how to read each one's `data` into column values."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..forms.patient import PHONE, POSTCODE, normalise_postcode
from ..measures import MeasureError, score_all
from ..models import (
    FOLLOW_UP_KINDS,
    NEEDS,
    PATIENT_STATUSES,
    REFERRAL_STATUSES,
    AssetReferral,
    CheckIn,
    FollowUp,
    Patient,
    Synced,
    User,
)
from ..nhs_number import is_valid_nhs_number, normalise_nhs_number
from . import fields as f

# A phone's clock may be a little ahead; a check-in a day in the future is a wrong clock or typo.
CLOCK_SKEW = timedelta(days=1)


class Rejected(Exception):
    """The record cannot be applied; `errors` maps fields to messages, `code` says why."""

    def __init__(self, code: str, errors: dict[str, list[str]]) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors


def read_fields(readers: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every field reader, gathering all the problems before refusing."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, read in readers.items():
        try:
            values[name] = read()
        except f.Invalid as problem:
            errors[name] = [str(problem)]
    if errors:
        raise Rejected("validation_failed", errors)
    return values


def _own_id(given: Any, actor: User, field: str) -> uuid.UUID:
    """Read a user id that defaults to the caller; only admins may name someone else."""
    if given is None and actor.role == "admin":
        raise f.Invalid("Required: an admin must say which link worker.")
    chosen = f.optional_record_id(given) or actor.id
    if actor.role != "admin" and chosen != actor.id:
        raise f.Invalid(f"{field} must be your own id.")
    return chosen


def read_patient(data: dict[str, Any], actor: User) -> dict[str, Any]:
    def nhs_number() -> str | None:
        value = f.optional_text(data.get("nhs_number"), max_length=14)
        if value is not None and not is_valid_nhs_number(value):
            raise f.Invalid("Must be a 10-digit NHS number with a correct check digit.")
        return normalise_nhs_number(value) if value else None

    def phone() -> str | None:
        value = f.optional_text(data.get("phone"), max_length=40)
        if value is not None and not PHONE.match(value):
            raise f.Invalid("Must be a phone number.")
        return value

    def postcode() -> str | None:
        value = f.optional_text(data.get("postcode"), max_length=10)
        if value is not None and not POSTCODE.match(value.upper()):
            raise f.Invalid("Must be a UK postcode.")
        return normalise_postcode(value) if value else None

    return read_fields(
        {
            "given_name": lambda: f.text(data.get("given_name"), max_length=100, required=True),
            "family_name": lambda: f.text(data.get("family_name"), max_length=100, required=True),
            "date_of_birth": lambda: f.day(data.get("date_of_birth")),
            "nhs_number": nhs_number,
            "phone": phone,
            "postcode": postcode,
            "link_worker_id": lambda: _own_id(data.get("link_worker_id"), actor, "link_worker_id"),
            "status": lambda: f.choice(data.get("status"), PATIENT_STATUSES, default="active"),
            "needs": lambda: f.codes(data.get("needs"), NEEDS),
            "referral_reason": lambda: f.text(data.get("referral_reason"), max_length=4000),
            "consent_to_contact": lambda: f.flag(data.get("consent_to_contact")),
        }
    )


def read_check_in(data: dict[str, Any], actor: User) -> dict[str, Any]:
    def captured_at() -> datetime:
        value = f.moment(data.get("captured_at"))
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise f.Invalid("Is in the future: check the phone's clock.")
        return value

    def scores() -> dict[str, Any]:
        try:
            return score_all(data.get("measures"))  # type: ignore[arg-type]
        except MeasureError as problem:
            raise f.Invalid(str(problem)) from None

    values = read_fields(
        {
            "patient_id": lambda: f.record_id(data.get("patient_id")),
            "captured_at": captured_at,
            "scores": scores,
            "needs": lambda: f.codes(data.get("needs"), NEEDS),
            "notes": lambda: f.text(data.get("notes"), max_length=10000),
            "amends_id": lambda: f.optional_record_id(data.get("amends")),
        }
    )
    values["measures"] = data["measures"]
    offset = values["captured_at"].utcoffset()
    values["captured_utc_offset"] = int(offset.total_seconds() // 60) if offset else 0
    values["scores"] = values.pop("scores")
    return values


def read_follow_up(data: dict[str, Any], actor: User) -> dict[str, Any]:
    return read_fields(
        {
            "patient_id": lambda: f.record_id(data.get("patient_id")),
            "due_at": lambda: f.moment(data.get("due_at")),
            "kind": lambda: f.choice(data.get("kind"), FOLLOW_UP_KINDS),
            "note": lambda: f.text(data.get("note"), max_length=2000),
            "assigned_to_id": lambda: _own_id(data.get("assigned_to"), actor, "assigned_to"),
            "done_at": lambda: f.optional_moment(data.get("done_at")),
        }
    )


def read_referral(data: dict[str, Any], actor: User) -> dict[str, Any]:
    return read_fields(
        {
            "patient_id": lambda: f.record_id(data.get("patient_id")),
            "asset_id": lambda: f.record_id(data.get("asset_id")),
            "status": lambda: f.choice(data.get("status"), REFERRAL_STATUSES, default="suggested"),
            "note": lambda: f.text(data.get("note"), max_length=2000),
        }
    )


@dataclass(frozen=True)
class RecordType:
    name: str
    model: type[Synced]
    read: Callable[[dict[str, Any], User], dict[str, Any]]
    # Check-ins are never changed once stored: a correction is a new one that amends it.
    immutable: bool = False


RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        RecordType("patient", Patient, read_patient),
        RecordType("checkin", CheckIn, read_check_in, immutable=True),
        RecordType("followup", FollowUp, read_follow_up),
        RecordType("referral", AssetReferral, read_referral),
    )
}
