"""Decide, on the server, who may see which page and which patient."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select

from .audit import audit
from .extensions import db
from .models import Patient

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only signed-in users with one of these roles through; others get 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_patients() -> Select[tuple[Patient]]:
    """Return a query of the patients the current staff user may see."""
    query = db.select(Patient)
    if current_user.role == "admin":
        return query
    if current_user.role == "link_worker":
        return query.where(Patient.link_worker_id == current_user.id)
    return query.where(db.false())


def patient_or_404(patient_id: uuid.UUID, *, action: str = "patient.view") -> Patient:
    """Load a patient the current user may see, auditing the read; anyone else's is a 404."""
    patient = db.session.scalar(visible_patients().where(Patient.id == patient_id))
    if patient is None:
        # 404, not 403: whether a patient exists is itself not for other workers to learn.
        abort(404)
    audit(action, patient)
    # Commit the read now: it happened even if what follows fails or changes nothing.
    db.session.commit()
    return patient
