"""Creating users and changing whether they can sign in."""

from __future__ import annotations

from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from ..models import ROLE_NAMES
from ..passwords import MIN_PASSWORD_LENGTH
from .base import PageForm
from .fields import choice_list, strip_whitespace


class UserForm(PageForm):
    display_name = StringField(
        "Full name",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter their full name"), Length(max=120)],
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
    role = RadioField(
        "Role", choices=choice_list(ROLE_NAMES.items()), validators=[InputRequired("Select a role")]
    )
    password = PasswordField(
        "Temporary password",
        validators=[
            InputRequired("Enter a temporary password"),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
            ),
        ],
    )


class UserActiveForm(PageForm):
    """A button: the CSRF token is the whole form."""
