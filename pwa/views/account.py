"""Your own account: who you are signed in as, changing your password, and replacing a
temporary password before anything else."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..accounts import SignInRefused, change_password, confirm_password
from ..extensions import db
from ..forms.password import ChangePasswordForm, NewPasswordForm
from ..models import User
from ..passwords import check_password
from ..sessions import current_web_session

bp = Blueprint("account", __name__)


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _personal(user: User) -> list[str]:
    """What the person's own details give away, for the password policy."""
    return [user.display_name, user.username]


@bp.get("/account")
@login_required  # type: ignore[untyped-decorator]
def show() -> ResponseReturnValue:
    """Show who is signed in, with a way to change their password."""
    return render_template("account/show.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def change() -> ResponseReturnValue:
    """Change your own password: this browser stays signed in, everywhere else signs in again."""
    user = _me()
    form = ChangePasswordForm(personal=_personal(user))
    wait = None
    if form.validate_on_submit():
        # Checked only once the rest is right: each check counts as a sign-in try.
        refused = confirm_password(user, form.current.data or "")
        if refused is None:
            change_password(user, form.password.data or "", keep=current_web_session())
            db.session.commit()
            flash(
                "Your password has been changed. Your other devices will ask you to sign in again.",
                "success",
            )
            return redirect(url_for("account.show"))
        form.current.errors = [_wrong_current(refused)]
        wait = refused.retry_after
    page = render_template("account/change_password.html", form=form)
    response = make_response(page, 429 if wait else 200)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def _wrong_current(refused: SignInRefused) -> str:
    if refused.code == "invalid_credentials":
        return "Your current password is not right"
    return refused.message  # too many tries: how long to wait


@bp.route("/choose-password", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def choose() -> ResponseReturnValue:
    """Replace a temporary password (one an admin chose) with your own."""
    user = _me()
    if not user.must_change_password:
        return redirect(url_for("sign_in.home"))
    form = NewPasswordForm(personal=_personal(user))
    chosen = form.password.data or ""
    if form.validate_on_submit() and check_password(user.password_hash, chosen):
        # The one they were given is known to whoever gave it: it cannot become their own.
        form.password.errors = ["Choose a password of your own, not the one you were given"]
    elif form.is_submitted() and not form.errors:
        change_password(user, chosen, keep=current_web_session())
        db.session.commit()
        flash("Your new password is saved", "success")
        return redirect(url_for("sign_in.home"))
    return render_template("account/choose_password.html", form=form)


# What a person with a temporary password may still reach: choosing one, signing in or out,
# locking the phone, one-time links (which choose a password too), files without data, and the
# public help pages: nobody looking for help in a crisis should meet a password form first.
OPEN_BEFORE_CHOOSING = {
    "account.choose",
    "sign_in.sign_in",
    "sign_in.sign_out",
    "sign_in.lock",
    "static",
    "nhsuk_assets",
    "access_links.redeem",
    "access_links.join",
    "help.get_help",
    "help.link_workers",
}


@bp.before_app_request
def hold_pages_until_a_password_is_chosen() -> ResponseReturnValue | None:
    """Send a person whose password is temporary to choose their own before any other page.

    The API answers for itself (api.enrol refuses `password_change_required`); the shell and
    the service worker hold no data; /healthz is for the machines.
    """
    if request.endpoint in OPEN_BEFORE_CHOOSING or request.blueprint in (
        "api",
        "app_shell",
        "health",
    ):
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    return redirect(url_for("account.choose"))
