"""Practice admins create users and turn their access off and on."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access import role_required
from ..accounts import deactivate, reactivate
from ..audit import audit
from ..extensions import db
from ..forms.user import UserActiveForm, UserForm
from ..models import User
from ..passwords import hash_password

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.get("")
@role_required("admin")
def list_users() -> ResponseReturnValue:
    """List everyone who can sign in, by role."""
    users = db.session.scalars(db.select(User).order_by(User.role, User.display_name))
    return render_template("admin/users.html", users=list(users), active_form=UserActiveForm())


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def add_user() -> ResponseReturnValue:
    """Create a user with a temporary password, which they replace when they first sign in."""
    form = UserForm()
    if form.validate_on_submit():
        username = (form.username.data or "").strip().lower()
        if db.session.scalar(db.select(User.id).where(User.username == username)):
            form.username.errors = [*form.username.errors, "That username is taken"]
        else:
            user = User(
                username=username,
                display_name=(form.display_name.data or "").strip(),
                role=form.role.data,
                password_hash=hash_password(form.password.data or ""),
                must_change_password=True,
            )
            db.session.add(user)
            db.session.flush()
            audit("user.create", record_type="user", record_id=str(user.id))
            db.session.commit()
            flash(
                f"{user.display_name} can now sign in as {user.username}. They will choose "
                "their own password when they do.",
                "success",
            )
            return redirect(url_for("admin_users.list_users"))
    return render_template("admin/user_new.html", form=form)


@bp.post("/<uuid:user_id>/active")
@role_required("admin")
def toggle_active(user_id: uuid.UUID) -> ResponseReturnValue:
    """Deactivate a user (signing out all their devices) or reactivate them."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not UserActiveForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account", "error")
        return redirect(url_for("admin_users.list_users"))
    if user.active:
        deactivate(user)  # their sessions end and their phones lose access, at once
    else:
        reactivate(user)
    db.session.commit()
    flash(
        f"{user.display_name} {'can sign in again' if user.active else 'has been deactivated'}",
        "success",
    )
    return redirect(url_for("admin_users.list_users"))
