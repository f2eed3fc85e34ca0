"""The base of every page form: it reads the form's own text fields and nothing else."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PageForm(FlaskForm):
    """A form posted from one of the app's pages.

    Flask-WTF would also read a file part or a JSON body into the fields, where a value that is
    not text breaks the validators (a 500). Neither is ever sent by our pages: the fields are
    read from the form's text alone, and a field sent as a file is an error of its own, so
    nothing is saved with that field quietly left empty.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate as usual, and refuse any field that was sent as a file."""
        valid = bool(super().validate(extra_validators))
        sent_as_files = list(request.files) if has_request_context() else []
        for name in sent_as_files:
            if name in self:
                self[name].errors = [*self[name].errors, "Type this in: a file cannot be sent"]
        if sent_as_files and not any(name in self for name in sent_as_files):
            self.form_errors.append("Send the form as typed text: it takes no files")
        return valid and not sent_as_files

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):  # given by the caller
                return formdata
            # As Flask-WTF does with an empty form: None, so the form's own data stands.
            return (request.form or None) if request.method in SUBMIT_METHODS else None
