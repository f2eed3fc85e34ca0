"""Settings for this phone: notifications today."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from ..access import role_required

bp = Blueprint("settings", __name__)


@bp.get("/settings")
@role_required("link_worker", "patient")
def settings() -> ResponseReturnValue:
    """Turn notifications on or off for this phone (the page's script does the subscribing)."""
    return render_template("settings.html")
