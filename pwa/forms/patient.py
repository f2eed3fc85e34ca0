"""Forms for adding a patient, assigning them and discharging them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models import NEEDS
from ..nhs_number import is_valid_nhs_number, normalise_nhs_number
from .fields import CheckboxListField, MemorableDateField, choice_list, strip_whitespace

# The shape of a full UK postcode (outward code, space optional, inward code).
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")


def normalise_postcode(text: str) -> str:
    """Return a postcode in capitals with one space, as Royal Mail writes it."""
    match = POSTCODE.match(text.strip().upper())
    return f"{match.group(1)} {match.group(2)}" if match else text.strip()


class PatientForm(FlaskForm):
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

    def validate_date_of_birth(self, field: MemorableDateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError("Date of birth must be in the past")
        if field.data and field.data.year < 1900:
            raise ValidationError("Date of birth must be after 1900")

    def validate_nhs_number(self, field: StringField) -> None:
        if field.data and not is_valid_nhs_number(field.data):
            raise ValidationError(
                "NHS number must be 10 digits with a correct check digit, like 943 476 5919"
            )

    def validate_postcode(self, field: StringField) -> None:
        if field.data and not POSTCODE.match(field.data.strip().upper()):
            raise ValidationError("Enter a real postcode, like LS1 4AP")

    def validate_phone(self, field: StringField) -> None:
        if field.data and not PHONE.match(field.data.strip()):
            raise ValidationError("Enter a phone number, like 0113 496 0000 or +44 7700 900000")

    def patient_fields(self) -> dict[str, Any]:
        """Return the cleaned values to store on a Patient."""
        return {
            "given_name": self.given_name.data.strip(),
            "family_name": self.family_name.data.strip(),
            "date_of_birth": self.date_of_birth.data,
            "nhs_number": normalise_nhs_number(self.nhs_number.data or "") or None,
            "phone": (self.phone.data or "").strip() or None,
            "postcode": normalise_postcode(self.postcode.data) if self.postcode.data else None,
            "referral_reason": self.referral_reason.data.strip(),
            "needs": [code for code in NEEDS if code in (self.needs.data or [])],
            "consent_to_contact": self.consent_to_contact.data == "yes",
        }


class AssignForm(FlaskForm):
    link_worker_id = SelectField("Assigned link worker", choices=[], validate_choice=True)


class DischargeForm(FlaskForm):
    """A button: the CSRF token is the whole form."""
