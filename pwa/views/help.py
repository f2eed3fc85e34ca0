"""Pages for patients that hold no patient data: "Get help now" and what a link worker does.

Public (someone in distress may not be signed in, or their phone may be locked), the same for
everyone, and kept by the service worker so they open with no signal.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access import admin_only
from ..extensions import db
from ..forms.practice import PracticeTextsForm
from ..practice import TEXTS, practice_text, set_practice_text
from ..sessions import leave_session_cookie

bp = Blueprint("help", __name__)

# Pages a locked phone still shows (views/app_shell.py), and that are kept for offline use.
PUBLIC_PAGES = ("help.get_help", "help.link_workers")


def _public(template: str) -> ResponseReturnValue:
    leave_session_cookie()  # kept by the worker, fetched without cookies: never a session's
    response = render_template(template, practice_text=practice_text)
    # The worker's copy is fetched signed out; drawn for someone signed in, the page carries
    # their name and CSRF token, so no cache may keep it.
    cache = "no-store" if current_user.is_authenticated else "no-cache"
    return response, 200, {"Cache-Control": cache}


@bp.get("/help")
def get_help() -> ResponseReturnValue:
    """Where to get help now: Samaritans, NHS 111, 999 and the practice."""
    return _public("help/get_help.html")


@bp.get("/about-link-workers")
def link_workers() -> ResponseReturnValue:
    """What a link worker can help with, in the practice's own words."""
    return _public("help/link_workers.html")


@bp.route("/admin/practice", methods=["GET", "POST"])
@admin_only
def edit_texts() -> ResponseReturnValue:
    """Let an admin write the practice's words for its patients."""
    form = PracticeTextsForm(data={key: practice_text(key) for key in TEXTS})
    if form.validate_on_submit():
        changed = [
            key for key in TEXTS if set_practice_text(key, form[key].data or "", current_user)
        ]
        db.session.commit()
        flash("Saved" if changed else "Nothing had changed", "success")
        return redirect(url_for("help.edit_texts"))
    return render_template("admin/practice.html", form=form)
