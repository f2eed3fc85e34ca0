"""A patient's own view of their check-ins."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access import role_required
from ..extensions import db
from ..models import Patient
from ..progress import outcomes

bp = Blueprint("my_progress", __name__)


@bp.get("/my-progress")
@role_required("patient")
def my_progress() -> ResponseReturnValue:
    """Show a patient their own scores over time, and nobody else's."""
    patient = db.session.scalar(db.select(Patient).where(Patient.user_id == current_user.id))
    check_ins = patient.check_ins if patient else []
    return render_template(
        "my_progress.html",
        patient=patient,
        check_ins=list(reversed(check_ins)),
        outcomes=outcomes(check_ins),
    )
