"""Browse and search the community asset directory."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import or_

from ..access import role_required
from ..extensions import db
from ..models import ASSET_CATEGORIES, CommunityAsset

bp = Blueprint("assets", __name__)


def search_assets(text: str, category: str, *, include_inactive: bool) -> list[CommunityAsset]:
    """Return assets whose name, description or postcode mention text, in a category."""
    query = db.select(CommunityAsset)
    if not include_inactive:
        query = query.where(CommunityAsset.active.is_(True))
    if category in ASSET_CATEGORIES:
        query = query.where(CommunityAsset.category == category)
    for word in text.split()[:8]:
        # Escape LIKE wildcards so "50%" or "a_b" search for themselves.
        pattern = "%" + word.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(
                CommunityAsset.name.ilike(pattern, escape="\\"),
                CommunityAsset.description.ilike(pattern, escape="\\"),
                CommunityAsset.postcode.ilike(pattern, escape="\\"),
                CommunityAsset.address.ilike(pattern, escape="\\"),
            )
        )
    return list(db.session.scalars(query.order_by(CommunityAsset.name)))


def _patient_being_helped() -> str | None:
    """Return the ?patient= id carried from a patient's record through to the referral form.

    Only a well-formed id is passed on; whether this user may see that patient is checked by the
    referral form itself, which offers only their own caseload.
    """
    try:
        return str(uuid.UUID(request.args.get("patient", "")))
    except ValueError:
        return None


@bp.get("/assets")
@role_required("admin", "link_worker")
def directory() -> ResponseReturnValue:
    """List community assets, filtered by a search and a category."""
    text = request.args.get("q", "")[:200]
    category = request.args.get("category", "")
    assets = search_assets(text, category, include_inactive=False)
    return render_template(
        "assets/index.html",
        assets=assets,
        q=text,
        category=category,
        categories=ASSET_CATEGORIES,
        for_patient=_patient_being_helped(),
    )


@bp.get("/assets/<uuid:asset_id>")
@role_required("admin", "link_worker")
def show_asset(asset_id: uuid.UUID) -> ResponseReturnValue:
    """Show one community asset and how to refer to it."""
    asset = db.session.get(CommunityAsset, asset_id)
    if asset is None:
        abort(404)
    return render_template("assets/show.html", asset=asset, for_patient=_patient_being_helped())
