"""The practice's own words for its patients."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import Length

from ..practice import TEXTS
from .base import PageForm


class PracticeTextsForm(PageForm):
    link_worker_help = TextAreaField(
        TEXTS["link_worker_help"].title,
        description=TEXTS["link_worker_help"].hint,
        validators=[Length(max=4000, message="Keep it under 4,000 characters")],
    )
    gp_practice = TextAreaField(
        TEXTS["gp_practice"].title,
        description=TEXTS["gp_practice"].hint,
        validators=[Length(max=1000, message="Keep it under 1,000 characters")],
    )
