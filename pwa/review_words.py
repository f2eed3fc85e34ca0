"""A synced record's fields in words, side by side: what a phone sent and what the record holds.

For "Changes to review": field labels as the record's page names them, values formatted as
that page shows them (dates, names for codes and ids), and which fields differ. Pure reading:
the caller has checked who may see the record, and audits the read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .extensions import db
from .filters import format_date, format_datetime
from .measures import MEASURES
from .models import (
    CONTACT_KINDS,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    NEEDS,
    REFERRAL_STATUSES,
    AssetReferral,
    CheckIn,
    CommunityAsset,
    Contact,
    FollowUp,
    Patient,
    User,
)
from .projections import PROJECTIONS

LABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "patient": (("given_name", "First name"), ("family_name", "Last name"),
                ("date_of_birth", "Date of birth"), ("nhs_number", "NHS number"),
                ("phone", "Phone"), ("postcode", "Postcode"), ("link_worker_id", "Link worker"),
                ("status", "Status"), ("needs", "Needs"), ("referral_reason", "Why referred"),
                ("consent_to_contact", "Agreed to be contacted")),
    # Not "source": the server decides it from who sent the check-in, whatever a phone says.
    "checkin": (("patient_id", "Patient"), ("captured_at", "When"), ("measures", "Answers"),
                ("needs", "Needs discussed"), ("notes", "Notes"),
                ("amends", "Corrects an earlier check-in")),
    "followup": (("patient_id", "Patient"), ("due_at", "Due"), ("kind", "Kind"),
                 ("note", "Note"), ("assigned_to", "Assigned to"), ("done_at", "Done"),
                 ("outcome", "How it went")),
    "referral": (("patient_id", "Patient"), ("asset_id", "Community group"),
                 ("status", "Status"), ("note", "Note")),
    "contact": (("patient_id", "Patient"), ("kind", "Kind"), ("happened_at", "When"),
                ("note", "Note")),
}  # fmt: skip
MODELS: dict[str, type[Any]] = {
    "patient": Patient, "checkin": CheckIn, "followup": FollowUp, "referral": AssetReferral,
    "contact": Contact,
}  # fmt: skip
CODES: dict[str, dict[str, str]] = {
    "needs": NEEDS,
    "kind": FOLLOW_UP_KINDS | CONTACT_KINDS,  # the two share "visit", in the same words
    "outcome": FOLLOW_UP_OUTCOMES,
    "source": {"self": "The patient", "link_worker": "Their link worker"},
}
STATUS = {
    "patient": {"active": "Active", "discharged": "Discharged"},
    "referral": REFERRAL_STATUSES,
}
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class Row:
    label: str
    phone: str
    server: str | None  # None: the server holds no such record
    differs: bool


def _name_of(model: type[Any], raw: Any, attribute: str) -> str | None:
    try:
        found = db.session.get(model, uuid.UUID(str(raw)))
    except ValueError:
        return None
    return str(getattr(found, attribute)) if found is not None else None


def _when(raw: str, with_time: bool) -> str:
    try:
        moment = datetime.fromisoformat(raw) if with_time else date.fromisoformat(raw)
    except ValueError:
        return raw
    return format_datetime(moment) if isinstance(moment, datetime) else format_date(moment)


def _answers(measures: Any) -> str:
    if not isinstance(measures, dict):
        return str(measures)
    parts = []
    for key, answers in measures.items():
        measure = MEASURES.get(key)
        if measure is None or not isinstance(answers, dict):
            parts.append(f"{key}: {answers}")
            continue
        given = ", ".join(str(answers.get(item, "?")) for item in measure.item_keys)
        parts.append(f"{measure.title}: {given}")
    return "; ".join(parts)


def shown(record_type: str, field: str, value: Any) -> str:
    """One field's value as the record's page would show it."""
    if value is None or value == "" or value == []:
        return NOT_RECORDED
    if field == "patient_id":
        return _name_of(Patient, value, "full_name") or str(value)
    if field == "amends":
        try:
            amended = db.session.get(CheckIn, uuid.UUID(str(value)))
        except ValueError:
            amended = None
        return f"The check-in of {format_datetime(amended.captured_at)}" if amended else str(value)
    if field in ("link_worker_id", "assigned_to"):
        return _name_of(User, value, "display_name") or str(value)
    if field == "asset_id":
        return _name_of(CommunityAsset, value, "name") or str(value)
    if field in ("captured_at", "due_at", "done_at"):
        return _when(str(value), with_time=True)
    if field == "date_of_birth":
        return _when(str(value), with_time=False)
    if field == "measures":
        return _answers(value)
    if field == "status":
        return STATUS.get(record_type, {}).get(str(value), str(value))
    if field == "consent_to_contact":
        return "Yes" if value is True else "No" if value is False else str(value)
    if field in CODES:
        names = CODES[field]
        return ", ".join(names.get(str(v), str(v)) for v in value) if isinstance(value, list) \
            else names.get(str(value), str(value))  # fmt: skip
    return str(value)


def current(record_type: str, record_id: str) -> dict[str, Any] | None:
    """The record as the server holds it now, in the contract's names (as staff receive it)."""
    model = MODELS.get(record_type)
    try:
        record = db.session.get(model, uuid.UUID(record_id)) if model else None
    except ValueError:
        return None
    return PROJECTIONS[record_type, "staff"](record) if record is not None else None


def side_by_side(record_type: str, sent: dict[str, Any], held: dict[str, Any] | None) -> list[Row]:
    """Each field, the phone's and the server's, marking those that differ (by what a person
    reads, so the same moment written two ways is not a difference)."""
    rows = []
    for field, label in LABELS.get(record_type, ()):
        phone = shown(record_type, field, sent.get(field))
        server = shown(record_type, field, held.get(field)) if held is not None else None
        rows.append(Row(label, phone, server, held is not None and phone != server))
    known = {field for field, _ in LABELS.get(record_type, ())}
    for field in sorted(set(sent) - known - {"scores", "source"}):  # anything else it said
        rows.append(Row(field, shown(record_type, field, sent[field]), None, False))
    return rows
