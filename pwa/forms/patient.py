"""Forms for adding a patient, assigning them and discharging them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..casework import rules
from ..models import DISCHARGE_REASONS, NEEDS
from .base import PageForm
from .fields import CheckboxListField, MemorableDateField, choice_list, strip_whitespace


class PatientForm(PageForm):
    given_name = StringField(
        "First name",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the patient's first name"), Length(max=100)],
    )
    family_name = StringField(
        "Last name",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the patient's last name"), Length(max=100)],
    )
    date_of_birth = MemorableDateField(
        "Date of birth", validators=[InputRequired("Enter the patient's date of birth")]
    )
    nhs_number = StringField("NHS number (optional)", validators=[Optional(), Length(max=14)])
    phone = StringField("Phone number (optional)", validators=[Optional(), Length(max=40)])
    postcode = StringField("Postcode (optional)", validators=[Optional(), Length(max=10)])
    link_worker_id = SelectField("Link worker", choices=[], validate_choice=True)
    referral_reason = TextAreaField(
        "Why were they referred?",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter why the patient was referred"), Length(max=4000)],
    )
    needs = CheckboxListField("What do they need help with?", choices=choice_list(NEEDS.items()))
    consent_to_contact = RadioField(
        "Have they agreed to be contacted by the link worker?",
        choices=choice_list([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired("Select whether they have agreed to be contacted")],
    )
    # Shown only when a patient with the same name and date of birth is already there.
    different_person = BooleanField("This is a different person: add them anyway")

    # The rules are the ones a phone's records meet too (pwa/casework/rules.py).
    def validate_date_of_birth(self, field: MemorableDateField) -> None:
        if field.data:
            _check(rules.date_of_birth, field.data)

    def validate_nhs_number(self, field: StringField) -> None:
        if field.data:
            _check(rules.nhs_number, field.data)

    def validate_postcode(self, field: StringField) -> None:
        if field.data:
            _check(rules.postcode, field.data)

    def validate_phone(self, field: StringField) -> None:
        if field.data:
            _check(rules.phone, field.data)

    def patient_fields(self) -> dict[str, Any]:
        """Return the cleaned values to store on a Patient."""
        return {
            "given_name": (self.given_name.data or "").strip(),
            "family_name": (self.family_name.data or "").strip(),
            "date_of_birth": self.date_of_birth.data,
            "nhs_number": _given(self.nhs_number.data, rules.nhs_number),
            "phone": _given(self.phone.data, rules.phone),
            "postcode": _given(self.postcode.data, rules.postcode),
            "referral_reason": (self.referral_reason.data or "").strip(),
            "needs": [code for code in NEEDS if code in (self.needs.data or [])],
            "consent_to_contact": self.consent_to_contact.data == "yes",
        }


def _given(value: str | None, rule: Callable[[str], str]) -> str | None:
    """Return an optional field's value as its rule gives it back, or None when left blank."""
    return rule(value.strip()) if value and value.strip() else None


def _check(rule: Callable[[Any], Any], value: Any) -> None:
    try:
        rule(value)
    except rules.Invalid as problem:
        raise ValidationError(str(problem)) from None


class AssignForm(PageForm):
    link_worker_id = SelectField("Assigned link worker", choices=[], validate_choice=True)


class ReopenForm(PageForm):
    link_worker_id = SelectField(
        "Whose caseload do they go back on?", choices=[], validate_choice=True,
        validators=[InputRequired("Choose a link worker")],
    )  # fmt: skip


class DischargeForm(PageForm):
    """Why the patient is leaving the caseload: the outcomes report counts these."""

    reason = RadioField(
        "Why are they leaving the caseload?",
        choices=choice_list(DISCHARGE_REASONS.items()),
        validators=[InputRequired("Select why they are being discharged")],
    )
