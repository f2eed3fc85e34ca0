"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..audit import audit
from ..extensions import db, limiter, username_key
from ..forms.sign_in import SignInForm
from ..passwords import user_with_password

bp = Blueprint("sign_in", __name__)

HOME_BY_ROLE = {
    "admin": "caseload.caseload",
    "link_worker": "caseload.caseload",
    "patient": "my_progress.my_progress",
}


def _failed_attempt(response: object) -> bool:
    # Only failures count towards the limit; a successful sign-in redirects.
    return getattr(response, "status_code", 200) != 302


def _safe_next(target: str | None) -> str | None:
    """Return target only if it is a path on this site (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
def home() -> ResponseReturnValue:
    """Send each person to the page their role starts on."""
    if not current_user.is_authenticated:
        return redirect(url_for("sign_in.sign_in"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMITS"],
    key_func=username_key,
    methods=["POST"],
    deduct_when=_failed_attempt,
    scope="sign-in-user",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_ADDRESS_LIMITS"],
    methods=["POST"],
    deduct_when=_failed_attempt,
    scope="sign-in-address",
)
def sign_in() -> ResponseReturnValue:
    """Sign in with a username and password."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("sign_in.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = user_with_password(form.username.data or "", form.password.data or "")
        if user is not None:
            if not user.active:
                form.form_errors.append(
                    "This account has been deactivated. Ask your practice admin."
                )
            else:
                session.clear()  # a fresh session on sign-in: no fixation
                login_user(user)
                session.permanent = True
                generate_csrf()  # in the sign-in response's cookie, before pages race to add it
                audit("sign_in", user_id=user.id)
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")) or url_for("sign_in.home"))
        else:
            form.form_errors.append("The username or password is not right")
            audit("sign_in.failed")
            db.session.commit()
        return render_template("sign_in.html", form=form), 200
    return render_template("sign_in.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out() -> ResponseReturnValue:
    """Sign out and forget the session."""
    audit("sign_out")
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("sign_in.sign_in"))
