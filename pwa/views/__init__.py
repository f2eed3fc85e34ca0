"""Register the page blueprints, one per task a person does."""

from __future__ import annotations

import uuid

from flask import Flask

from ..extensions import db, login_manager
from ..models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the signed-in user, or None if the id is stale or malformed."""
    try:
        return db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None


login_manager.login_view = "sign_in.sign_in"
login_manager.login_message = "Sign in to continue"
login_manager.login_message_category = "info"
# A stolen cookie used from elsewhere is dropped rather than trusted.
login_manager.session_protection = "strong"


def register_views(app: Flask) -> None:
    """Attach every page blueprint to the app."""
    from .. import api
    from . import (
        admin_assets,
        admin_sync_reviews,
        admin_users,
        app_shell,
        assets,
        caseload,
        check_ins,
        follow_ups,
        health,
        my_progress,
        patients,
        referrals,
        settings,
        sign_in,
    )

    app.register_blueprint(api.bp)
    for module in (
        sign_in,
        health,
        caseload,
        patients,
        check_ins,
        follow_ups,
        assets,
        referrals,
        admin_users,
        admin_assets,
        admin_sync_reviews,
        my_progress,
        settings,
        app_shell,
    ):
        app.register_blueprint(module.bp)
