"""The sign-in form."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from .base import PageForm


class SignInForm(PageForm):
    username = StringField(
        "Username", validators=[InputRequired("Enter your username"), Length(max=80)]
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=200)]
    )
