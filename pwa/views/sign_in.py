"""Sign in and out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..accounts import SignInRefused, sign_in_with_password
from ..audit import audit
from ..extensions import db
from ..forms.sign_in import SignInForm
from ..models import User, utcnow
from ..sessions import current_web_session, end_session, start_session
from ..throttle import remember_browser

bp = Blueprint("sign_in", __name__)

SITE_PATH = re.compile(r"/[!-\[\]-~]*")  # "/", then printable ASCII but the backslash

HOME_BY_ROLE = {
    "admin": "caseload.caseload",
    "link_worker": "caseload.caseload",
    "patient": "my_progress.my_progress",
}


def _safe_next(target: str | None) -> str | None:
    """Return target only if it is a path on this site (no open redirects)."""
    # Printable ASCII only: no backslash (some browsers read it as a slash), no line breaks
    # (a header cannot hold them), no spaces.
    if not target or len(target) > 2000 or not SITE_PATH.fullmatch(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.get("/")
def home() -> ResponseReturnValue:
    """Send each person to the page their role starts on."""
    if not current_user.is_authenticated:
        return redirect(url_for("sign_in.sign_in"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Sign in with a username and password (throttled and audited in pwa/accounts.py)."""
    # `again`: a phone asks its person to sign in afresh (to open its records after a forgotten
    # PIN, or to enrol after the page's sign-in grew old) without signing out, which would
    # wipe the phone. Signing in replaces the session; the phone keeps everything.
    if current_user.is_authenticated and request.method == "GET" and not request.args.get("again"):
        return redirect(url_for("sign_in.home"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("sign_in.html", form=form)
    username = form.username.data or ""
    outcome = sign_in_with_password(username, form.password.data or "")
    if isinstance(outcome, SignInRefused):
        form.form_errors.append(outcome.message)
        response = make_response(render_template("sign_in.html", form=form),
                                 429 if outcome.retry_after else 200)  # fmt: skip
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    begin_session(outcome)
    db.session.commit()
    response = make_response(
        redirect(_safe_next(request.args.get("next")) or url_for("sign_in.home"))
    )
    remember_browser(response, username, outcome.password_hash)
    return response


def begin_session(user: User) -> None:
    """Sign `user` in on this browser, over whoever was (their session ends, their phones carry
    on), in a fresh session (no fixation). Audited; the caller commits."""
    replaced = current_web_session()
    if replaced is not None:
        end_session(replaced, "replaced", phones=False)
    session.clear()
    start_session(user)
    login_user(user)
    session.permanent = True
    generate_csrf()  # in the sign-in response's cookie, before pages race to add it
    audit("sign_in", user_id=user.id)


@bp.post("/session/lock")
@login_required
def lock() -> ResponseReturnValue:
    """The phone this page runs on has locked: hold its pages back until it is unlocked.

    Sent by the page's script (with its CSRF token) whenever the phone locks; pages then answer
    with the data-free shell (app_shell.hold_pages_of_a_locked_phone) until the phone's device
    token unlocks the session again (POST /api/v1/session/unlock).
    """
    web_session = current_web_session()
    if web_session is not None and web_session.locked_at is None:
        web_session.locked_at = utcnow()
        audit("session.lock")
        db.session.commit()
    return "", 204


@bp.post("/sign-out")
@login_required
def sign_out() -> ResponseReturnValue:
    """Sign out: the session ends on the server, with the phones it enrolled."""
    web_session = current_web_session()
    if web_session is not None:
        end_session(web_session, "signed_out")
    audit("sign_out")
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    response = redirect(url_for("sign_in.sign_in"))
    if request.form.get("phone_cleared") == "yes":
        # The page's script has sent or (with the person's say-so) dropped everything, and
        # wiped the phone's store: now the browser clears the rest (the shell, the worker).
        # Without that word, as without JavaScript, nothing on the phone is touched.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
