"""Using a one-time code: a patient accepting their invitation, or anyone resetting a password.

Open to people who are not signed in (that is who has a code), so every try is counted per
address (pwa/throttle.py) and a code is checked against what exists before anything is shown.
Someone signed in as another person cannot use a code: it would tie the wrong account to a
record. The code is in the link's path: the referrer policy (same-origin) keeps it from other
sites, and these answers are never cached (pwa/security.py sets both for every answer).
"""

from __future__ import annotations

import re
import secrets

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import access_links
from ..accounts import change_password, reactivate
from ..audit import audit
from ..extensions import db
from ..forms.access import CodeForm, NewAccountForm
from ..forms.password import NewPasswordForm
from ..models import AccessLink, User
from ..passwords import hash_password
from ..throttle import take_a_code_try
from .sign_in import begin_session

bp = Blueprint("access_links", __name__)


def code_page(template: str, link: AccessLink, code: str, **context: object) -> Response:
    """The answer that shows a new code, once: with its link and the page to type it in, and
    never kept by any cache (pwa/security.py says so too; here it is this page's own rule)."""
    response = make_response(render_template(
        template, link=link, code=access_links.shown(code),
        url=url_for("access_links.redeem", code=code, _external=True),
        join_url=url_for("access_links.join", _external=True), **context,
    ))  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/join", methods=["GET", "POST"])
def join() -> ResponseReturnValue:
    """Type in a code that was read out or sent, then go on as the link would."""
    form = CodeForm()
    if form.validate_on_submit():
        clean = access_links.normalised(form.code.data or "")
        if clean is not None:
            # Answered here, the code carried on in the form: a typed code never joins a URL
            # (proxy logs, the browser's history) as a link's must.
            return _choose(clean, shown_first="password" not in request.form)
        form.code.errors = ["This code is not right. It has 12 letters and numbers."]
    return render_template("access/join.html", form=form)


@bp.route("/set-password/<code>", methods=["GET", "POST"])
def redeem(code: str) -> ResponseReturnValue:
    """Choose a password with a one-time code (and, for a new patient, a username)."""
    return _choose(code, shown_first=request.method == "GET")


def _choose(code: str, *, shown_first: bool) -> ResponseReturnValue:
    """The password form a code opens; `shown_first`: show it blank, whatever was posted."""
    spent = take_a_code_try()
    if spent is not None:
        db.session.commit()
        response = make_response(render_template(
            "access/refused.html",
            message=f"Too many codes have been tried from this network. Wait {-(-spent.wait // 60)}"
                    " minutes and try again.",
        ), 429)  # fmt: skip
        response.headers["Retry-After"] = str(spent.wait)
        return response
    db.session.commit()  # the try is counted, whatever happens next
    found = access_links.find(code)
    if isinstance(found, access_links.LinkRefused):
        # Never the code: whoever holds it could use it. Only why it opened nothing.
        audit(f"access_link.refused_{found.code}", record_type="access_link")
        db.session.commit()
        return render_template("access/refused.html", message=found.message), 404
    link = found
    account = _account_of(link)
    if current_user.is_authenticated and (account is None or current_user.id != account.id):
        return render_template("access/signed_in_as_other.html"), 409
    personal = _personal_words(link)
    form: NewPasswordForm
    blank = {"formdata": None} if shown_first else {}
    if account is None:
        form = NewAccountForm(personal=personal, **blank)
        if shown_first:
            form.username.data = _suggest_username(link)
    else:
        form = NewPasswordForm(personal=[*personal, account.username], **blank)
    if not shown_first and form.validate_on_submit():
        done = _use(link, account, form)
        if isinstance(done, User):
            db.session.commit()
            begin_session(done)
            db.session.commit()
            if link.purpose == "invitation":
                flash("Welcome. You are signed in. This is your own page.", "success")
            else:
                flash("Your new password is set and you are signed in.", "success")
            return redirect(url_for("sign_in.home"))
        if done == "taken" and isinstance(form, NewAccountForm):
            form.username.errors = [*form.username.errors, "That username is taken. Try another."]
        else:
            return render_template("access/refused.html", message=done), 409
    typed = code if request.endpoint == "access_links.join" else None
    return render_template(
        "access/set_password.html", form=form, link=link, account=account, typed_code=typed
    )


def _account_of(link: AccessLink) -> User | None:
    if link.purpose == "invitation":
        return link.patient.user if link.patient is not None else None
    return link.user


def _use(link: AccessLink, account: User | None, form: NewPasswordForm) -> User | str:
    """Spend the code and set the password; return the account, or why not (nothing written)."""
    password = form.password.data or ""
    if not access_links.spend(link):
        db.session.rollback()
        return access_links.refusal("used").message
    if account is None:  # an invitation for a patient with no account yet
        patient = link.patient
        if not isinstance(form, NewAccountForm) or patient is None:
            raise TypeError("a new account comes from an invitation, with a username")
        account = User(
            username=form.username.data or "", display_name=patient.full_name, role="patient",
            password_hash=hash_password(password),
        )  # fmt: skip
        db.session.add(account)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return "taken"
        patient.user = account
        audit("user.create", record_type="user", record_id=str(account.id), user_id=account.id)
    else:
        if not account.active:  # re-invited after their access was turned off
            reactivate(account)
        change_password(account, password)
    account.must_change_password = False
    if link.purpose == "invitation" and link.patient is not None:
        audit("patient.invitation_used", link.patient, user_id=account.id)
    else:
        audit("user.reset_used", record_type="user", record_id=str(account.id),
              user_id=account.id)  # fmt: skip
    return account


def _personal_words(link: AccessLink) -> list[str]:
    if link.patient is not None:
        return [link.patient.given_name, link.patient.family_name]
    return [link.user.display_name] if link.user is not None else []


def _suggest_username(link: AccessLink) -> str:
    """A username the patient may keep: their given name and family initial, made unique."""
    patient = link.patient
    if patient is None:
        return ""
    stem = re.sub(r"[^a-z0-9]", "", patient.given_name.lower())[:20] or "patient"
    initial = re.sub(r"[^a-z0-9]", "", patient.family_name.lower())[:1]
    base = f"{stem}.{initial}" if initial else stem
    for candidate in (base, *(f"{base}{secrets.randbelow(90) + 10}" for _ in range(5))):
        taken = db.session.scalar(select(func.count()).where(User.username == candidate))
        if not taken:
            return candidate
    return ""
