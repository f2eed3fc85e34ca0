"""Keep the community directory alive: which assets an admin should look at again, and why.

An asset is listed when nobody has confirmed its details for `ASSET_CHECK_MONTHS` (6 by default;
counted from when it was added if it was never checked), or when most of the referrals to it
that reached an outcome in the last year were declined (at least `ASSET_DECLINED_AT_LEAST` of
them, 3 by default, so that one "no" is not a pattern). A referral that goes nowhere is what
leaves people feeling "fobbed off"; a group that has closed or changed is the usual reason.

One query, whatever the size of the directory: the referral counts come grouped by asset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, scoped_session

from .models import AssetReferral, CommunityAsset

DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class ToReview:
    asset: CommunityAsset
    stale_since: datetime | None  # when it was last checked (or added), if that is too long ago
    declined: int
    outcomes: int  # referrals in the last year that were attended or declined

    @property
    def mostly_declined(self) -> bool:
        return self.declined * 2 > self.outcomes


def to_review(
    session: Session | scoped_session[Any], now: datetime, config: Mapping[str, Any]
) -> list[ToReview]:
    """The assets to look at again, those unchecked longest first."""
    months = int(config.get("ASSET_CHECK_MONTHS", 6))
    at_least = int(config.get("ASSET_DECLINED_AT_LEAST", 3))
    stale_before = now - timedelta(days=round(months * DAYS_PER_MONTH))
    year_ago = now - timedelta(days=365)
    declined = func.coalesce(func.sum(case((AssetReferral.status == "declined", 1), else_=0)), 0)
    outcomes = func.count(AssetReferral.id)
    rows = session.execute(
        select(CommunityAsset, declined, outcomes)
        .outerjoin(AssetReferral, and_(
            AssetReferral.asset_id == CommunityAsset.id,
            AssetReferral.status.in_(("attended", "declined")),
            AssetReferral.updated_at >= year_ago,
        ))
        .where(CommunityAsset.active.is_(True))
        .group_by(CommunityAsset.id)
    ).all()  # fmt: skip
    found = []
    for asset, no, out in rows:
        checked = asset.checked_at or asset.created_at
        stale = checked if checked < stale_before else None
        review = ToReview(asset, stale, int(no), int(out))
        if stale or (out >= at_least and review.mostly_declined):
            found.append(review)
    return sorted(found, key=lambda r: (r.asset.checked_at or r.asset.created_at, r.asset.name))
