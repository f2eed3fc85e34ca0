"""Whose caseload a record goes on: a link worker's own, or the one an admin names."""

from __future__ import annotations

import uuid

from ..extensions import db
from ..models import Patient, User
from ..scope import Refused


def link_worker_for(actor: User, given: uuid.UUID | None, field: str) -> uuid.UUID:
    """Return the link worker a new or moved patient belongs to.

    A link worker adds to their own caseload (and may leave the field out); an admin must name
    an active link worker.
    """
    if actor.role == "link_worker":
        return _own(actor, given, field)
    if given is None:
        raise Refused(
            "validation_failed", {field: ["Required: an admin must say which link worker."]}
        )
    return _active_link_worker(given, field)


def assignee_for(actor: User, patient: Patient, given: uuid.UUID | None, field: str) -> uuid.UUID:
    """Return who a follow-up is for: the caller if a link worker, else whoever an admin names,
    or the patient's own link worker when they name nobody."""
    if actor.role == "link_worker":
        return _own(actor, given, field)
    return patient.link_worker_id if given is None else _active_link_worker(given, field)


def _own(actor: User, given: uuid.UUID | None, field: str) -> uuid.UUID:
    if given is not None and given != actor.id:
        raise Refused("validation_failed", {field: [f"{field} must be your own id."]})
    return actor.id


def _active_link_worker(user_id: uuid.UUID, field: str) -> uuid.UUID:
    worker = db.session.get(User, user_id)
    if worker is None or worker.role != "link_worker" or not worker.active:
        raise Refused("validation_failed", {field: ["Must be an active link worker."]})
    return user_id
