"""Adding and editing a community asset."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional

from ..models import ASSET_CATEGORIES
from .base import PageForm
from .fields import choice_list, strip_whitespace


class AssetForm(PageForm):
    name = StringField(
        "Name",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the name"), Length(max=200)],
    )
    category = SelectField(
        "Category",
        choices=choice_list([("", "Choose a category"), *ASSET_CATEGORIES.items()]),
        validators=[DataRequired("Select a category")],
    )
    description = TextAreaField("What it offers", validators=[Optional(), Length(max=4000)])
    contact = StringField("Contact (phone or email)", validators=[Optional(), Length(max=200)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=500)])
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])
    opening_times = TextAreaField("Opening times", validators=[Optional(), Length(max=500)])
    url = StringField(
        "Website",
        validators=[
            Optional(),
            URL(message="Enter a full web address, like https://example.org"),
            Length(max=500),
        ],
    )
    active = BooleanField("Open to referrals", default=True)

    def asset_fields(self) -> dict[str, Any]:
        """Return the cleaned values to store on a CommunityAsset."""
        return {
            name: (self[name].data or "").strip()
            for name in (
                "name",
                "category",
                "description",
                "contact",
                "address",
                "postcode",
                "opening_times",
                "url",
            )
        } | {"active": bool(self.active.data)}
