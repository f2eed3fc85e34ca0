"""Creating users, changing their name and role, and the buttons on each person."""

from __future__ import annotations

from wtforms import Field, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from ..models import ROLE_NAMES, STAFF_ROLES
from ..password_policy import MAX_PASSWORD_LENGTH, password_problem
from .base import PageForm
from .fields import choice_list, strip_whitespace


class UserDetailsForm(PageForm):
    """A person's name and role: what an admin may change after creating them."""

    display_name = StringField(
        "Full name",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter their full name"), Length(max=120)],
    )
    role = RadioField(
        "Role", choices=choice_list(ROLE_NAMES.items()), validators=[InputRequired("Select a role")]
    )


class UserForm(UserDetailsForm):
    # Staff only: a patient's account comes from an invitation on their record, which also
    # links it to that record (an account made here could be linked to none).
    role = RadioField(
        "Role",
        choices=choice_list((r, n) for r, n in ROLE_NAMES.items() if r in STAFF_ROLES),
        validators=[InputRequired("Select a role")],
    )
    username = StringField(
        "Username",
        filters=[strip_whitespace],
        validators=[
            DataRequired("Enter a username"),
            Length(min=3, max=80, message="Username must be 3 to 80 characters"),
            Regexp(r"^[a-z0-9._-]+$", message="Use lower-case letters, numbers, dots, dashes"),
        ],
    )
    # Temporary: the person must choose their own at first sign-in (views/account.py), but
    # until then it guards their account, so it meets the same policy as any other.
    password = PasswordField(
        "Temporary password",
        validators=[InputRequired("Enter a temporary password")],
        render_kw={"maxlength": MAX_PASSWORD_LENGTH},
    )

    def validate_password(self, field: Field) -> None:
        personal = [self.display_name.data or "", self.username.data or ""]
        problem = password_problem(field.data or "", personal=personal)
        if problem:
            raise ValidationError(problem)


class UserActiveForm(PageForm):
    """A button on a person (deactivate or reactivate, give a reset link): the CSRF token is
    the whole form."""
