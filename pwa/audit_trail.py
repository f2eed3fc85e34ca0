"""Reading the audit trail: the practice's answer to "who looked at my record?".

Filtered by patient, person, action and a date range (practice days), newest first, a page at a
time, and as CSV. The CSV is made safe for spreadsheets: a cell that would start a formula
(=, +, -, @, a tab or a carriage return) is written with a leading apostrophe, as OWASP's
"CSV Injection" guidance advises, so opening it can never run anything.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from .models import AuditEvent, Device, Patient, User

PAGE_SIZE = 50
# What each action means, in words; an action not named here is shown as written.
ACTION_NAMES: dict[str, str] = {
    "patient.view": "Read a patient's record",
    "patient.view_for_change": "Opened a patient's record to change it",
    "checkin.view": "Read a check-in",
    "caseload.list": "Saw the patient in a caseload list",
    "referral.patient_list": "Saw the patient in a referral list",
    "patient.sync_read": "Patient's records sent to a phone",
    "patient.create": "Added a patient",
    "patient.update": "Changed a patient's details",
    "patient.assign": "Moved a patient to another link worker",
    "patient.discharge": "Discharged a patient",
    "patient.nhs_number_clash": "Was told an NHS number is already this patient's",
    "patient.same_name_warning": "Was told this patient has the same name and birthday",
    "patient.reopen": "Reopened a discharged patient's record",
    "patient.invite": "Invited a patient to the app",
    "patient.invitation_used": "Patient set up their app",
    "patient.invitation_cancel": "Cancelled an invitation",
    "patient.app_access_off": "Turned off a patient's app",
    "checkin.create": "Recorded a check-in",
    "checkin.seen": "Marked a check-in as seen",
    "contact.create": "Logged a contact",
    "followup.create": "Booked a follow-up",
    "followup.complete": "Marked a follow-up done",
    "followup.done_by_self_check_in": "Follow-up done by the patient's own check-in",
    "referral.create": "Made a referral",
    "referral.update": "Changed a referral",
    "sign_in": "Signed in",
    "sign_in.failed": "Failed to sign in",
    "sign_in.throttled": "Sign-in refused: too many tries",
    "sign_out": "Signed out",
    "user.create": "Created an account",
    "user.deactivate": "Deactivated an account",
    "user.activate": "Reactivated an account",
    "user.role_change": "Changed a role",
    "user.rename": "Changed a name",
    "user.password_change": "Password changed",
    "user.reset_link": "Gave a password reset link",
    "user.reset_used": "Used a password reset link",
    "device.enrol": "Signed in a phone",
    "device.revoke": "Cut off a phone",
    "asset.checked": "Checked a community asset's details",
    "report.outcomes": "Read the outcomes report",
    "report.outcomes_export": "Downloaded a table of the outcomes report",
    "audit.view": "Read the audit trail",
    "audit.export": "Exported the audit trail",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,15})?", re.ASCII)


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action)


@dataclass(frozen=True)
class Filters:
    patient_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments, for links to other pages and the CSV."""
        found = {"patient": self.patient_id, "person": self.user_id, "action": self.action,
                 "from": self.since, "to": self.until}  # fmt: skip
        return {key: str(value) for key, value in found.items() if value}


def read_filters(args: Mapping[str, str]) -> tuple[Filters, dict[str, str]]:
    """Filters from a page's query arguments, and what was wrong with any (left out)."""
    problems: dict[str, str] = {}

    def an_id(name: str, what: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(args[name]) if args.get(name) else None
        except ValueError:
            problems[name] = f"That is not a {what} this trail knows"
            return None

    def a_day(name: str) -> date | None:
        try:
            return date.fromisoformat(args[name]) if args.get(name) else None
        except ValueError:
            problems[name] = "Enter a date like 2026-11-28"
            return None

    action = (args.get("action") or "").strip()[:60] or None
    filters = Filters(an_id("patient", "patient"), an_id("person", "person"), action,
                      a_day("from"), a_day("to"))  # fmt: skip
    if filters.since and filters.until and filters.since > filters.until:
        problems["to"] = "The end date must be on or after the start date"
    return filters, problems


def events(filters: Filters, zone: ZoneInfo) -> Select[tuple[AuditEvent, User, Patient, Device]]:
    """The events the filters choose, newest first, with who, which patient and which phone."""
    who, whose, phone = aliased(User), aliased(Patient), aliased(Device)
    query = (
        select(AuditEvent, who, whose, phone)
        .outerjoin(who, who.id == AuditEvent.user_id)
        .outerjoin(whose, whose.id == AuditEvent.patient_id)
        .outerjoin(phone, phone.id == AuditEvent.device_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if filters.patient_id:
        query = query.where(AuditEvent.patient_id == filters.patient_id)
    if filters.user_id:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, time(), zone))
    if filters.until and filters.until < date.max:  # the calendar's last day: no end at all
        end = datetime.combine(filters.until + timedelta(days=1), time(), zone)
        query = query.where(AuditEvent.at < end)
    return query  # type: ignore[return-value]


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula.

    A plain number ("-2.37", "+4") is left as it is, so a spreadsheet still reads it as a number:
    it holds nothing a formula could do.
    """
    text = "" if value is None else str(value)
    if PLAIN_NUMBER.fullmatch(text):
        return text
    # Spaces first fool no spreadsheet as typed, but an import that trims them would run it.
    risky = text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS)
    return f"'{text}" if risky else text


CSV_HEADINGS = ("When (UTC)", "Who", "What", "Action", "Patient", "NHS number", "Record type",
                "Record id", "Phone", "Address")  # fmt: skip


def csv_rows(rows: Iterable[Any]) -> Iterator[list[str]]:
    """The heading row, then one row per (event, who, patient, phone)."""
    yield list(CSV_HEADINGS)
    for event, who, whose, phone in rows:
        yield [safe_cell(value) for value in (
            event.at.isoformat(), who.display_name if who else "", action_name(event.action),
            event.action, whose.full_name if whose else "", whose.nhs_number if whose else "",
            event.record_type, event.record_id, phone.name if phone else "", event.ip_address,
        )]  # fmt: skip
