"""The base of every page form: it reads the form's own text fields and nothing else."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PageForm(FlaskForm):
    """A form posted from one of the app's pages.

    Flask-WTF would also read a file part or a JSON body into the fields, where a value that is
    not text breaks the validators (a 500). Neither is ever sent by our pages: a field given
    that way counts as not filled in, and the person sees the form's own error.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):  # given by the caller
                return formdata
            # As Flask-WTF does with an empty form: None, so the form's own data stands.
            return (request.form or None) if request.method in SUBMIT_METHODS else None
