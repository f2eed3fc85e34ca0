"""Scheduling a follow-up, and marking one done."""

from __future__ import annotations

from datetime import time

from wtforms import RadioField, SelectField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..casework import rules
from ..models import FOLLOW_UP_KINDS, FOLLOW_UP_OUTCOMES
from ..practice import practice_today
from .base import PageForm
from .fields import MemorableDateField, choice_list


class FollowUpForm(PageForm):
    due_date = MemorableDateField("Date", validators=[InputRequired("Enter the date it is due")])
    due_time = TimeField(
        "Time (optional)", validators=[Optional()], default=time(9, 0), format="%H:%M"
    )
    kind = RadioField(
        "What kind of follow-up?",
        choices=choice_list(FOLLOW_UP_KINDS.items()),
        validators=[InputRequired("Select what kind of follow-up it is")],
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])

    def validate_due_date(self, field: MemorableDateField) -> None:
        today = practice_today()
        if field.data and field.data < today:
            raise ValidationError("Date must be today or in the future")
        # The rule a phone's follow-ups meet too (pwa/casework/rules.py).
        if field.data and field.data > today + rules.FOLLOW_UP_WINDOW:
            raise ValidationError("Date must be within ten years of today")


class FollowUpDoneForm(PageForm):
    """One tap, with how it went if the worker says (optional)."""

    outcome = SelectField(
        "How did it go?",
        choices=choice_list([("", "Not said"), *FOLLOW_UP_OUTCOMES.items()]),
        default="",  # a form without it (one tap, an older page) says nothing of how it went
        validate_choice=True,
    )
