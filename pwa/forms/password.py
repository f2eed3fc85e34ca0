"""Choosing a new password: the one form every route that sets one uses (an invitation, a reset
link, a change in Settings, a temporary password replaced), so the policy is checked once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import Field, PasswordField
from wtforms.validators import EqualTo, InputRequired, ValidationError

from ..password_policy import MAX_PASSWORD_LENGTH, password_problem
from .base import PageForm


class NewPasswordForm(PageForm):
    """A new password, typed twice. `personal` names what the person's details give away."""

    password = PasswordField(
        "Choose a password",
        description="At least 12 characters. Three random words work well.",
        validators=[InputRequired("Enter a password")],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            InputRequired("Type the password again"),
            EqualTo("password", message="The two passwords are not the same"),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH},
    )

    def __init__(self, *args: Any, personal: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.personal = tuple(personal)

    def validate_password(self, field: Field) -> None:
        problem = password_problem(field.data or "", personal=self.personal)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordForm):
    """Changing your own password: the one you have now, then the new one twice.

    The current password is checked by the view (pwa/accounts.confirm_password), which counts
    it as a sign-in try; here it is only required.
    """

    current = PasswordField(
        "Your current password",
        validators=[InputRequired("Enter your current password")],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD_LENGTH},
    )

    def __init__(self, *args: Any, personal: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, personal=personal, **kwargs)
        self.password.label.text = "Choose a new password"
        self.confirm.label.text = "Type the new password again"
        # Asked first on the page, so first in the error summary too (WTForms would list a
        # subclass's field after its parent's).
        self._fields.move_to_end("current", last=False)
