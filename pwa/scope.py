"""The trust boundary (DESIGN.md): which patients each person may read, hold and write.

Every page, the sync feed, the apply path, the replies it sends and the push reminders ask
here; no view or query keeps its own copy of these rules.

| role        | reads (pages)             | holds (phone)      | writes                        |
| admin       | every patient             | every patient      | everything; nothing new for a |
|             |                           |                    | discharged patient            |
| link_worker | patients assigned to them | those still active | records of those still active |
| patient     | their own record          | their own record   | their own check-ins, while    |
|             |                           |                    | they are active               |
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from .extensions import db
from .models import Patient, ScopeExit, User

Audience = Literal["staff", "patient"]


class Refused(Exception):
    """A write that the boundary or a record rule does not allow.

    `code` is for programs (the sync result's code), `errors` maps fields to messages for a
    person, and `keep` says whether the phone's version is kept for an admin to review: only when
    the sender once held the patient, so nothing they legitimately captured is lost. `about`
    names a patient the refusal tells the caller something of (that an NHS number is theirs):
    whoever answers audits it, after any rollback, so "who looked at my record" finds it.
    """

    def __init__(
        self,
        code: str,
        errors: dict[str, list[str]],
        *,
        keep: bool = False,
        about: uuid.UUID | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors
        self.keep = keep
        self.about = about


def audience(user: User) -> Audience:
    """Return which projection of a record this person receives."""
    return "patient" if user.role == "patient" else "staff"


def _readable(user: User) -> ColumnElement[bool]:
    if user.role == "admin":
        return true()
    if user.role == "link_worker":
        return Patient.link_worker_id == user.id
    if user.role == "patient":
        return Patient.user_id == user.id
    return false()


def _held(user: User) -> ColumnElement[bool]:
    if user.role == "link_worker":
        return on_caseload_of(user.id)
    return _readable(user)


def readable_patients(user: User) -> Select[Patient]:
    """Return a query of the patients whose records this person may read on the server's pages."""
    return select(Patient).where(_readable(user))


def held_patient_ids(user: User) -> Select[uuid.UUID]:
    """Return a query of the ids of the patients whose records belong on this person's phone.

    A link worker's phone holds their active caseload only: a discharged patient leaves it.
    """
    return select(Patient.id).where(_held(user))


def writable_patients(user: User) -> Select[Patient]:
    """Return a query of the patients this person may add records to (the referral form's list).

    A patient adds only their own check-ins, which `check_write` says for each record.
    """
    return select(Patient).where(_held(user), Patient.status == "active")


def on_caseload_of(
    worker_id: uuid.UUID | ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
) -> ColumnElement[bool]:
    """SQL for "the patient is on this link worker's active caseload" (push reminders use it)."""
    return (Patient.link_worker_id == worker_id) & (Patient.status == "active")


def may_read(user: User, patient: Patient) -> bool:
    """Whether this person may read this patient's record and the records under it on a page."""
    if user.role == "admin":
        return True
    if user.role == "link_worker":
        return patient.link_worker_id == user.id
    return user.role == "patient" and patient.user_id == user.id


def may_hold(user: User, patient: Patient) -> bool:
    """Whether this patient's records belong on this person's phone (what sync answers about).

    As `held_patient_ids`: a link worker's phone lets go of a patient when they are discharged.
    """
    if user.role == "link_worker":
        return patient.link_worker_id == user.id and patient.status == "active"
    return may_read(user, patient)


def check_write(
    user: User, patient: Patient | None, *, record_type: str, adding: bool, field: str
) -> Patient:
    """Return the patient if this person may write their records; else raise Refused.

    `adding` is a new record under the patient (a discharged patient takes none, from anyone);
    `field` names the part of the change that pointed at the patient, for the message.
    """
    if user.role == "patient":  # the same answer whether or not another patient exists
        if patient is None or patient.user_id != user.id or record_type != "checkin" or not adding:
            raise Refused("forbidden", {field: ["You can only send your own check-ins."]})
        if patient.status != "active":
            raise Refused("patient_discharged", {field: [DISCHARGED]}, keep=True)
        return patient
    if patient is None:
        raise Refused("unknown_patient", {field: ["No such patient on your caseload."]})
    if user.role == "admin":
        if adding and patient.status != "active":
            raise Refused("patient_discharged", {field: [DISCHARGED]})
        return patient
    if user.role == "link_worker" and patient.link_worker_id == user.id:
        if patient.status == "active":
            return patient
        raise Refused("out_of_scope", {field: [DISCHARGED_NOW]}, keep=True)
    if user.role == "link_worker" and once_held(user, patient.id):
        raise Refused("out_of_scope", {field: [LEFT]}, keep=True)
    # Never theirs: say no more than for a patient who does not exist.
    raise Refused("unknown_patient", {field: ["No such patient on your caseload."]})


def may_change(user: User, patient: Patient) -> bool:
    """Whether this person may change this patient's existing records (a page's own buttons)."""
    try:
        check_write(user, patient, record_type="patient", adding=False, field="id")
    except Refused:
        return False
    return True


def refuse_unreadable(user: User, patient_id: uuid.UUID | None) -> Refused:
    """Return the refusal for a change to a record this person's phone may not hold.

    The same words whether the record exists or not, and nothing of it: kept for review only
    when the sender once held its patient (`patient_id` None: no such record).
    """
    return Refused(
        "out_of_scope",
        {"id": ["This record is not on your caseload. It has not been changed."]},
        keep=user.role == "link_worker" and patient_id is not None and once_held(user, patient_id),
    )


def once_held(user: User, patient_id: uuid.UUID) -> bool:
    """Whether this patient was on this link worker's caseload once and has left it."""
    found = db.session.scalar(
        select(ScopeExit.id)
        .where(ScopeExit.user_id == user.id, ScopeExit.patient_id == patient_id)
        .limit(1)
    )
    return found is not None


DISCHARGED = "This patient has been discharged, so nothing new can be added to their record."
DISCHARGED_NOW = (
    "This patient has been discharged, so their record can no longer be changed. If something "
    "in it must change, ask your practice admin."
)
LEFT = "This patient is no longer on your caseload."
