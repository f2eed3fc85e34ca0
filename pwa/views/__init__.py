"""Register the page blueprints, one per task a person does."""

from __future__ import annotations

from flask import Flask

from ..extensions import login_manager
from ..models import User
from ..sessions import user_for_session_key


@login_manager.user_loader
def load_user(session_key: str) -> User | None:
    """Return the signed-in user while their web session lasts on the server (pwa/sessions.py)."""
    return user_for_session_key(session_key)


login_manager.login_view = "sign_in.sign_in"
# No flashed message: an answer that is not signed in does not write the session (pwa/sessions.py);
# the sign-in page says "Sign in to continue" when it has somewhere to go back to.
login_manager.login_message = ""
# Flask-Login's "strong" protection does nothing for permanent sessions, and binding a session to
# the address would sign a link worker out each time their phone changes network. Sessions end
# on the server instead (pwa/sessions.py). It is off because, on, it rewrote every anonymous
# session's cookie: a late answer to a request sent before signing in then signed people out.
login_manager.session_protection = None


def register_views(app: Flask) -> None:
    """Attach every page blueprint to the app."""
    from .. import api
    from . import (
        access_links,
        account,
        admin_assets,
        admin_audit,
        admin_devices,
        admin_reports,
        admin_sync_reviews,
        admin_users,
        app_shell,
        assets,
        caseload,
        check_ins,
        contacts,
        exports,
        follow_ups,
        health,
        help,
        invitations,
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
        contacts,
        follow_ups,
        assets,
        referrals,
        admin_users,
        admin_devices,
        admin_audit,
        admin_reports,
        exports,
        admin_assets,
        admin_sync_reviews,
        my_progress,
        settings,
        access_links,
        invitations,
        help,
        account,
        app_shell,
    ):
        app.register_blueprint(module.bp)
