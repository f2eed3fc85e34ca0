"""Let each page through only for the people who may see it, checked on the server.

Which patients a person may read or write is `pwa.scope`'s to say; this module turns those
answers into what a page does (a 403 for the wrong role, a 404 for someone else's patient).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .audit import audit
from .extensions import db
from .models import Patient
from .scope import Refused, readable_patients

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only signed-in users with one of these roles through; others get 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required  # type: ignore[untyped-decorator]
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def admin_only(view: Callable[P, R]) -> Callable[P, R]:
    """Let only signed-in admins through; to anyone else signed in the page does not exist
    (404), so admin pages say nothing of what they hold."""

    @wraps(view)
    @login_required  # type: ignore[untyped-decorator]
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_user.role != "admin":
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def patient_or_404(patient_id: uuid.UUID, *, action: str = "patient.view") -> Patient:
    """Load a patient the current user may read, auditing the read; anyone else's is a 404."""
    patient = db.session.scalar(readable_patients(current_user).where(Patient.id == patient_id))
    if patient is None:
        # 404, not 403: whether a patient exists is itself not for other workers to learn.
        abort(404)
    audit(action, patient)
    # Commit the read now: it happened even if what follows fails or changes nothing.
    db.session.commit()
    return patient


def refused_page(refusal: Refused, patient: Patient) -> ResponseReturnValue:
    """Say on the patient's record why a change was not made (nothing of it was written)."""
    db.session.rollback()
    for messages in refusal.errors.values():
        for message in messages:
            flash(message, "error")
    return redirect(url_for("patients.show_patient", patient_id=patient.id))
