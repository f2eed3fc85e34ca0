"""Logging a quick contact: what kind, when (now unless said), and a note."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, tzinfo
from typing import Any

from wtforms import HiddenField, RadioField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..casework import rules
from ..models import CONTACT_KINDS
from ..practice import practice_today
from .base import PageForm
from .fields import MemorableDateField, choice_list


class ContactForm(PageForm):
    # Made when the form is shown: posting it twice saves it once (as the check-in form).
    record_id = HiddenField()
    kind = RadioField(
        "What happened?",
        choices=choice_list(CONTACT_KINDS.items()),
        validators=[InputRequired("Select what happened")],
    )
    happened_date = MemorableDateField("Date (optional)", validators=[Optional()])
    happened_time = TimeField("Time (optional)", validators=[Optional()], format="%H:%M")
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])
    # The pressed button's name and value (never rendered as a field): "check_in" saves, then
    # opens the check-in form for the measures.
    then = HiddenField()

    def validate_happened_date(self, field: MemorableDateField) -> None:
        if field.data and field.data > practice_today():
            raise ValidationError("Date must be today or in the past")
        if field.data and field.data < rules.EARLIEST_CAPTURE.date():
            raise ValidationError("Date must be after 1 January 2000")

    def contact_id(self) -> uuid.UUID:
        """Return the id the form was shown with, or a new one if it is missing or not a UUID."""
        try:
            return uuid.UUID(self.record_id.data or "")
        except ValueError:
            return uuid.uuid4()

    def happened_at(self, zone: tzinfo, now: datetime) -> datetime:
        """When it happened, in the practice's time zone (`rules.contact_moment`)."""
        day: date | None = self.happened_date.data
        at: time | None = self.happened_time.data
        return rules.contact_moment(day, at, zone, now)

    def values(self, zone: tzinfo, now: datetime) -> dict[str, Any]:
        return {"kind": self.kind.data, "happened_at": self.happened_at(zone, now),
                "note": (self.note.data or "").strip()}  # fmt: skip
