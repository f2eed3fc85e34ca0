"""Practice admins look after the people who sign in: create them, change their name and role,
give them a one-time reset link, and turn their access off and on.

Admin pages only: anyone else signed in gets a 404. A reset link's code is shown once, on the
answer to the POST that made it, never in a flash cookie, a URL or a log.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import access_links
from ..access import admin_only
from ..accounts import RoleChangeRefused, change_role, deactivate, reactivate
from ..audit import audit
from ..extensions import db
from ..forms.user import UserActiveForm, UserDetailsForm, UserForm
from ..models import User
from ..passwords import hash_password
from .access_links import code_page

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _user_or_404(user_id: uuid.UUID) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("")
@admin_only
def list_users() -> ResponseReturnValue:
    """List everyone who can sign in, by role."""
    users = db.session.scalars(db.select(User).order_by(User.role, User.display_name))
    return render_template("admin/users.html", users=list(users), active_form=UserActiveForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_only
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


@bp.route("/<uuid:user_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_user(user_id: uuid.UUID) -> ResponseReturnValue:
    """Change a person's name or role (a new role signs them out everywhere)."""
    user = _user_or_404(user_id)
    form = UserDetailsForm(obj=user)
    if form.validate_on_submit():
        if form.role.data != user.role and user.id == current_user.id:
            form.role.errors = [
                *form.role.errors,
                "You cannot change your own role. Ask another admin.",
            ]
        else:
            name = (form.display_name.data or "").strip()
            try:
                change_role(user, form.role.data or "")
            except RoleChangeRefused as refused:
                db.session.rollback()
                form.role.errors = [*form.role.errors, str(refused)]
            else:
                if name != user.display_name:
                    user.display_name = name
                    audit("user.rename", record_type="user", record_id=str(user.id))
                db.session.commit()
                flash(f"{user.display_name}'s details are saved", "success")
                return redirect(url_for("admin_users.list_users"))
    return render_template("admin/user_edit.html", form=form, user=user)


@bp.post("/<uuid:user_id>/reset-link")
@admin_only
def reset_link(user_id: uuid.UUID) -> ResponseReturnValue:
    """Give a person a one-time link to choose a new password, and show it, once."""
    user = _user_or_404(user_id)
    if not UserActiveForm().validate_on_submit():  # the CSRF token is the whole form
        abort(400)
    if not user.active:
        flash(
            f"Reactivate {user.display_name} first: a reset link does not open a "
            "deactivated account.",
            "error",
        )
        return redirect(url_for("admin_users.list_users"))
    link, code = access_links.reset_link(user, by=current_user)
    db.session.commit()
    return code_page("admin/reset_link.html", link, code, user=user)


@bp.post("/<uuid:user_id>/active")
@admin_only
def toggle_active(user_id: uuid.UUID) -> ResponseReturnValue:
    """Deactivate a user (signing out all their devices) or reactivate them."""
    user = _user_or_404(user_id)
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
