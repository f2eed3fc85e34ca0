"""Using a one-time code: typing it in, and choosing a username for a new patient account."""

from __future__ import annotations

from wtforms import Field, StringField
from wtforms.validators import DataRequired, Length, Regexp

from .base import PageForm
from .fields import strip_whitespace
from .password import NewPasswordForm


class CodeForm(PageForm):
    code = StringField(
        "Your code",
        description="It has 12 letters and numbers, like K7QM-4XPD-R2WA.",
        filters=[strip_whitespace],
        validators=[DataRequired("Enter the code you were given"), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                   "autocapitalize": "characters"},
    )  # fmt: skip


class NewAccountForm(NewPasswordForm):
    """A patient's first sign-in details: a username of their choosing, and a password."""

    username = StringField(
        "Choose a username",
        description="You will use it to sign in. Lower-case letters, numbers, dots or dashes.",
        filters=[strip_whitespace, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[
            DataRequired("Choose a username"),
            Length(min=3, max=80, message="Your username must be 3 to 80 characters"),
            Regexp(
                r"^[a-z0-9._-]+$", message="Use only lower-case letters, numbers, dots or dashes"
            ),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )

    def validate_password(self, field: Field) -> None:
        """The username typed in this same form gives a password away as much as a name."""
        self.personal = (*self.personal, self.username.data or "")
        super().validate_password(field)
