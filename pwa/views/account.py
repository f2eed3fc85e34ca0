"""Your own account: who you are signed in as, and changing your password."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..accounts import SignInRefused, change_password, confirm_password
from ..extensions import db
from ..forms.password import ChangePasswordForm
from ..models import User
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
