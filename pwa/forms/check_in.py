"""The check-in form: any of the three measures, needs and notes."""

from __future__ import annotations

import uuid
from typing import Any

from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import Length, Optional

from ..measures import MEASURES, Measure
from ..models import NEEDS
from .base import PageForm
from .fields import CheckboxListField, choice_list


def _answer_field(measure: Measure, question: str) -> RadioField:
    choices = [
        (str(value), measure.answer_labels.get(value, str(value))) for value in measure.answers
    ]
    if measure.high - measure.low > 4:  # 0-10 scales: the number is the label, ends explained
        choices = [(str(value), str(value)) for value in measure.answers]
    # coerce=int: an answer is a number in range or nothing; blank or spaces mean "not asked".
    return RadioField(question, choices=choice_list(choices), coerce=int, validators=[Optional()])


class CheckInForm(PageForm):
    # The check-in's id, made when the form is shown: posting it twice (a double tap, or again
    # after a lost answer) saves it once, and the phone's offline form reuses it from the draft.
    record_id = HiddenField()
    needs = CheckboxListField("Needs discussed today", choices=choice_list(NEEDS.items()))
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=10000)])
    # A patient's own check-in names each set in their words (measures.Measure.patient_title).
    self_report = False

    def validate(self, extra_validators: Any = None) -> bool:
        """Check each measure is either complete or left out, and that one is complete."""
        valid = super().validate(extra_validators)
        complete = 0
        for measure in MEASURES.values():
            fields = [self[field_name(measure.key, item)] for item in measure.item_keys]
            answered = [f for f in fields if f.data is not None]
            if answered and len(answered) < len(fields):
                for f in fields:
                    if f.data is None:
                        f.errors = [
                            *f.errors,
                            f"Answer “{f.label.text}” or clear the {self._title(measure)} answers",
                        ]
                valid = False
            elif answered:
                complete += 1
        if complete == 0 and valid:
            self.form_errors.append("Answer every question of at least one measure")
            valid = False
        return valid

    def check_in_id(self) -> uuid.UUID:
        """Return the id the form was shown with, or a new one if it is missing or not a UUID."""
        try:
            return uuid.UUID(self.record_id.data or "")
        except ValueError:
            return uuid.uuid4()

    def answered_measures(self) -> dict[str, dict[str, int]]:
        """Return the complete measures as {measure: {item: answer}}."""
        result: dict[str, dict[str, int]] = {}
        for measure in MEASURES.values():
            answers = {item: self[field_name(measure.key, item)].data for item in measure.item_keys}
            if all(value is not None for value in answers.values()):
                result[measure.key] = answers
        return result

    def _title(self, measure: Measure) -> str:
        return measure.patient_title if self.self_report else measure.title

    def measure_fields(self, measure: Measure) -> list[RadioField]:
        return [self[field_name(measure.key, item)] for item in measure.item_keys]


def field_name(measure: str, item: str) -> str:
    return f"{measure}__{item}"


for _measure in MEASURES.values():
    for _item in _measure.items:
        setattr(
            CheckInForm,
            field_name(_measure.key, _item.key),
            _answer_field(_measure, _item.question),
        )
