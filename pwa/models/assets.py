"""The directory of community assets link workers refer people to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import Synced, UTCDateTime

ASSET_CATEGORIES = {
    "social_groups": "Social groups and clubs",
    "money_advice": "Money and debt advice",
    "housing": "Housing support",
    "employment": "Work, training and volunteering",
    "mental_wellbeing": "Mental wellbeing",
    "physical_activity": "Physical activity",
    "carers": "Carers' support",
    "food": "Food",
    "digital": "Digital skills",
    "arts_culture": "Arts, culture and learning",
    "nature": "Nature and gardening",
    "other": "Other",
}


class CommunityAsset(Synced, Model):
    __tablename__ = "community_assets"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    contact: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    address: Mapped[str] = mapped_column(Text, nullable=False, default="")
    postcode: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    opening_times: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # When an admin last confirmed the details are still right (None: never since it was added).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def category_name(self) -> str:
        return ASSET_CATEGORIES.get(self.category, self.category)
