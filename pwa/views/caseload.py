"""The caseload: who a link worker is supporting, what is next, and how they are doing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import looks
from ..access import role_required
from ..audit import audit_shown
from ..caseload_filter import DUE_CHOICES, ORDER_CHOICES, CaseloadFilter, keeps
from ..extensions import db
from ..forms.user import UserActiveForm
from ..models import NEEDS, CheckIn, FollowUp, Patient, User, utcnow
from ..scope import readable_patients

bp = Blueprint("caseload", __name__)


@bp.get("/caseload")
@role_required("admin", "link_worker")
def caseload() -> ResponseReturnValue:
    """List active (or discharged) patients with their next follow-up and latest scores."""
    status = "discharged" if request.args.get("status") == "discharged" else "active"
    query = readable_patients(current_user).where(Patient.status == status)
    workers: list[User] = []
    chosen_worker = request.args.get("worker", "")
    if current_user.role == "admin":
        workers = list(
            db.session.scalars(
                db.select(User).where(User.role == "link_worker").order_by(User.display_name)
            )
        )
        try:
            query = query.where(Patient.link_worker_id == uuid.UUID(chosen_worker))
        except ValueError:
            chosen_worker = ""
    everyone = list(db.session.scalars(query.order_by(Patient.family_name, Patient.given_name)))
    next_follow_ups = _next_follow_ups([p.id for p in everyone])
    chosen = CaseloadFilter.read(request.args)
    if status == "discharged":  # nothing is due for them: only the search and need apply
        chosen = CaseloadFilter(text=chosen.text, need=chosen.need)
    now = utcnow()

    def next_due(patient: Patient) -> datetime | None:
        found = next_follow_ups.get(patient.id)
        return found.due_at if found else None

    patients = [p for p in everyone if keeps(
        chosen, full_name=p.full_name, nhs_number=p.nhs_number, needs=p.needs,
        next_due=next_due(p), now=now)]  # fmt: skip
    if chosen.order == "next":  # soonest first, nothing booked last; by name among equals
        patients.sort(key=lambda p: (next_due(p) or datetime.max.replace(tzinfo=UTC),))
    ids = [p.id for p in patients]
    waiting: list[looks.ToLookAt] = []
    if status == "active":
        waiting = [w for w in looks.to_look_at(current_user) if w.check_in.patient_id in ids]
    page = render_template(
        "caseload.html",
        patients=patients,
        shown_of=len(everyone),
        chosen=chosen,
        needs=NEEDS,
        due_choices=DUE_CHOICES,
        order_choices=ORDER_CHOICES,
        next_follow_ups=next_follow_ups,
        latest_check_ins=_latest_check_ins(ids),
        to_look_at=waiting,
        flagged=looks.patients_to_look_at(waiting),
        seen_form=UserActiveForm(),
        workers=workers,
        chosen_worker=chosen_worker,
        status=status,
    )
    audit_shown("caseload.list", patients)  # names and latest scores, for each one listed
    db.session.commit()
    return page


def _next_follow_ups(patient_ids: list[uuid.UUID]) -> dict[uuid.UUID, FollowUp]:
    """Return each patient's earliest follow-up not yet done."""
    rows = db.session.scalars(
        db.select(FollowUp)
        .where(FollowUp.patient_id.in_(patient_ids), FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_at.desc())
    )
    return {f.patient_id: f for f in rows}  # later rows (earlier due dates) win


def _latest_check_ins(patient_ids: list[uuid.UUID]) -> dict[uuid.UUID, CheckIn]:
    """Return each patient's most recent check-in (loading only those, not every check-in)."""
    latest = (
        db.select(CheckIn.patient_id, db.func.max(CheckIn.captured_at).label("at"))
        .where(CheckIn.patient_id.in_(patient_ids))
        .group_by(CheckIn.patient_id)
        .subquery()
    )
    rows = db.session.scalars(
        db.select(CheckIn)
        .join(latest, (CheckIn.patient_id == latest.c.patient_id)
              & (CheckIn.captured_at == latest.c.at))
        .order_by(CheckIn.received_at)
    )  # fmt: skip
    return {c.patient_id: c for c in rows}  # two at the same moment: the later received wins
