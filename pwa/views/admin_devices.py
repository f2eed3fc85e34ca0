"""Practice admins: the phones people use, and cutting one off (a lost or stolen phone) without
touching that person's other phones or their account."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from .. import phones
from ..access import admin_only
from ..extensions import db
from ..forms.user import UserActiveForm
from ..models import User

bp = Blueprint("admin_devices", __name__)


@bp.get("/admin/devices")
@admin_only
def list_devices() -> ResponseReturnValue:
    """Every phone in the practice."""
    return render_template("admin/devices.html", phones=phones.phones(), person=None)


@bp.get("/admin/users/<uuid:user_id>/devices")
@admin_only
def person_devices(user_id: uuid.UUID) -> ResponseReturnValue:
    """One person's phones."""
    person = db.session.get(User, user_id) or abort(404)
    return render_template("admin/devices.html", phones=phones.phones(person), person=person)


@bp.route("/admin/devices/<uuid:ref>/revoke", methods=["GET", "POST"])
@admin_only
def revoke(ref: uuid.UUID) -> ResponseReturnValue:
    """Ask, then cut one phone off."""
    found = phones.phone(ref)
    if found is None or found.state == "revoked":
        abort(404)
    form = UserActiveForm()  # the CSRF token is the whole form
    if form.validate_on_submit():
        phones.revoke_phone(found)
        db.session.commit()
        flash(f"{found.user.display_name}'s phone \u201c{found.name}\u201d is cut off. It will "
              "remove what it holds the next time it reaches the server.", "success")  # fmt: skip
        return redirect(url_for("admin_devices.person_devices", user_id=found.user.id))
    return render_template("admin/device_revoke.html", phone=found, form=form)
