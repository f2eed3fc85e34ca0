"""Practice admins keep the community asset directory up to date."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ..access import admin_only
from ..audit import audit
from ..directory_review import to_review
from ..extensions import db
from ..forms.asset import AssetForm
from ..models import CommunityAsset, utcnow
from .assets import search_assets

bp = Blueprint("admin_assets", __name__, url_prefix="/admin/assets")


@bp.get("")
@admin_only
def list_assets() -> ResponseReturnValue:
    """List every asset, including those closed to referrals."""
    assets = search_assets(request.args.get("q", "")[:200], "", include_inactive=True)
    waiting = len(to_review(db.session, utcnow(), current_app.config))
    return render_template(
        "admin/assets.html", assets=assets, q=request.args.get("q", ""), waiting=waiting
    )


@bp.get("/review")
@admin_only
def review() -> ResponseReturnValue:
    """Assets unchecked for months, or whose referrals are mostly declined, oldest first."""
    return render_template(
        "admin/assets_review.html",
        found=to_review(db.session, utcnow(), current_app.config),
        months=current_app.config.get("ASSET_CHECK_MONTHS", 6),
        form=FlaskForm(),
    )


@bp.post("/<uuid:asset_id>/checked")
@admin_only
def mark_checked(asset_id: uuid.UUID) -> ResponseReturnValue:
    """Record that an admin confirmed the asset's details are still right, today."""
    asset = db.session.get(CommunityAsset, asset_id)
    if asset is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    asset.checked_at = utcnow()
    audit("asset.checked", asset)
    db.session.commit()
    flash(f"{asset.name}: details marked as checked today", "success")
    if request.form.get("back") == "review":
        return redirect(url_for("admin_assets.review"))
    return redirect(url_for("assets.show_asset", asset_id=asset.id))


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def add_asset() -> ResponseReturnValue:
    """Add a community asset to the directory."""
    form = AssetForm()
    if form.validate_on_submit():
        # Details just entered are as checked as they will ever be.
        asset = CommunityAsset(**form.asset_fields(), checked_at=utcnow())
        db.session.add(asset)
        audit("asset.create", asset)
        db.session.commit()
        flash(f"{asset.name} added to the directory", "success")
        return redirect(url_for("assets.show_asset", asset_id=asset.id))
    return render_template("admin/asset_form.html", form=form, asset=None)


@bp.route("/<uuid:asset_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_asset(asset_id: uuid.UUID) -> ResponseReturnValue:
    """Change a community asset's details, or close it to referrals."""
    asset = db.session.get(CommunityAsset, asset_id)
    if asset is None:
        abort(404)
    form = AssetForm(obj=asset)
    if form.validate_on_submit():
        for name, value in form.asset_fields().items():
            setattr(asset, name, value)
        audit("asset.update", asset)
        db.session.commit()
        flash(f"{asset.name} updated", "success")
        return redirect(url_for("assets.show_asset", asset_id=asset.id))
    return render_template("admin/asset_form.html", form=form, asset=asset)
