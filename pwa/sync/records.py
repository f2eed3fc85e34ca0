"""The record types a phone can send, and reading one change before the database sees it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from .. import casework
from ..models import AssetReferral, CheckIn, Contact, Device, FollowUp, Patient, Synced, User
from ..scope import Refused
from .shapes import DATA_SHAPES, Change, Shape, field_errors

NewRow = Callable[[User, Patient | None, uuid.UUID, dict[str, Any], Device | None], dict[str, Any]]


@dataclass(frozen=True)
class RecordType:
    name: str
    model: type[Synced]
    # The casework operations: the row a new record is stored as, and a change to one that
    # exists (None: the record never changes once stored; a correction is a new one).
    new_row: NewRow
    change: Callable[[User, Any, dict[str, Any]], None] | None
    # Who wrote a record that never changes: its author may resend it (after its patient has
    # left their caseload, say) and hear `duplicate`, having written every word of it.
    author_column: str | None = None
    # Fields a phone may leave out to mean "as it is" (the caller, or the patient's worker).
    defaulted: tuple[str, ...] = ()
    # Moments two people may both set, each with their own clock, meaning the same thing: a
    # follow-up marked done on two phones is done, whichever moment was first stored.
    same_once_set: tuple[str, ...] = ()

    @property
    def immutable(self) -> bool:
        return self.change is None

    def patient_of(self, record: Any) -> Patient:
        return record if isinstance(record, Patient) else record.patient

    def same_content(self, record: Any, values: dict[str, Any]) -> bool:
        """Whether the stored record already holds every value the phone sent."""
        return all(
            getattr(record, name) == value
            for name, value in values.items()
            if not (value is None and name in self.defaulted)
        )

    def agrees(self, record: Any, values: dict[str, Any]) -> bool:
        """Whether the phone's change says what the stored record already says, allowing for
        two people setting the same moment with their own clocks (same_once_set): two phones
        doing the same thing, which the server settles itself rather than queue for review."""
        return all(
            getattr(record, name) == value
            or (name in self.same_once_set and value is not None
                and getattr(record, name) is not None)
            for name, value in values.items()
            if not (value is None and name in self.defaulted)
        )  # fmt: skip


RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        RecordType(
            "patient",
            Patient,
            lambda actor, _, record_id, values, __: casework.new_patient_row(
                actor, record_id, values
            ),
            casework.change_patient,
            defaulted=("link_worker_id",),
        ),
        RecordType(
            "checkin",
            CheckIn,
            lambda actor, patient, record_id, values, device: casework.new_check_in_row(
                actor, patient, record_id, values, device.id if device else None
            ),
            None,
            author_column="author_id",
        ),
        RecordType(
            "followup",
            FollowUp,
            lambda actor, patient, record_id, values, _: casework.new_follow_up_row(
                actor, patient, record_id, values
            ),
            casework.change_follow_up,
            # An outcome left out (a phone from before outcomes) keeps the one stored.
            defaulted=("assigned_to_id", "outcome"),
            same_once_set=("done_at",),
        ),
        RecordType(
            "referral",
            AssetReferral,
            lambda actor, patient, record_id, values, _: casework.new_referral_row(
                actor, patient, record_id, values
            ),
            casework.change_referral,
        ),
        RecordType(
            "contact",
            Contact,
            lambda actor, patient, record_id, values, _: casework.new_contact_row(
                actor, patient, record_id, values
            ),
            None,
            author_column="author_id",
        ),
    )
}


@dataclass(frozen=True)
class Sent:
    """A change whose shape has been checked: nothing about it has been looked up yet."""

    kind: RecordType
    id: uuid.UUID
    base_version: int | None
    shape: Shape
    sent_back: bool = False  # sent again after the server was restored from a backup

    @cached_property
    def values(self) -> dict[str, Any]:
        return self.shape.values()

    @property
    def patient_id(self) -> uuid.UUID:
        """The patient the phone says the record is under (a patient record is its own)."""
        if self.kind.name == "patient":
            return self.id
        return self.shape.patient_id  # type: ignore[attr-defined, no-any-return]

    def as_sent(self) -> dict[str, Any]:
        """Return the change as it would be stored, in the contract's names, for review."""
        return self.shape.model_dump(mode="json", by_alias=True)


# Which envelope field a problem is in decides the result's code, in this order.
ENVELOPE_CODES = {"id": "invalid_id", "type": "unknown_type",
                  "base_version": "invalid_base_version", "data": "validation_failed",
                  "sent_back": "invalid_change"}  # fmt: skip


def read_change(raw: Any) -> Sent:
    """Check a change's shape (envelope, then data) without touching the database."""
    if not isinstance(raw, dict):
        raise Refused("invalid_change", {"change": ["Each change must be an object."]})
    try:
        change = Change.model_validate(raw)
    except ValidationError as problem:
        errors = field_errors(problem)
        code = next((code for field, code in ENVELOPE_CODES.items() if field in errors),
                    "invalid_change")  # fmt: skip
        raise Refused(code, errors) from None
    kind = RECORD_TYPES[change.type]
    try:
        shape = DATA_SHAPES[kind.name].model_validate(change.data)
    except ValidationError as problem:
        raise Refused("validation_failed", field_errors(problem)) from None
    return Sent(kind, change.id, change.base_version, shape, change.sent_back)


def shown_id(raw: Any) -> str | None:
    """Return the id a refused change gave, to answer it by, if it is a short string."""
    given = raw.get("id") if isinstance(raw, dict) else None
    return given if isinstance(given, str) and len(given) <= 64 else None
