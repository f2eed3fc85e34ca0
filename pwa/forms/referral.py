"""Referring a patient to a community asset, and updating how it went."""

from __future__ import annotations

from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..models import REFERRAL_STATUSES
from .base import PageForm
from .fields import choice_list


class ReferralForm(PageForm):
    patient_id = SelectField(
        "Patient", choices=[], validators=[InputRequired("Select the patient to refer")]
    )
    status = RadioField(
        "Status",
        choices=choice_list(
            (k, v) for k, v in REFERRAL_STATUSES.items() if k in ("suggested", "referred")
        ),
        default="referred",
        validators=[InputRequired("Select the status of the referral")],
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class ReferralStatusForm(PageForm):
    status = SelectField(
        "Status",
        choices=choice_list(REFERRAL_STATUSES.items()),
        validators=[InputRequired("Select the status of the referral")],
    )
