"""Apply the changes a phone sent, each exactly once; a bad one never blocks the rest.

A change is judged in three steps, and only the last writes:
1. its shape (`records.read_change`), before anything touches the database;
2. a new record: the patient it names, through the casework rules and the trust boundary;
3. a record that exists (an update, or a new id that is already taken): the record as stored,
   never what the phone says of it. Whoever may not read it hears `out_of_scope` and nothing of
   it; a resend of what is already there is a `duplicate`; a stale version, or other content
   for a check-in, is a `conflict` that carries the server's copy (the caller may read it).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from .. import scope
from ..audit import audit
from ..casework.changes import ID_TAKEN, ids_taken_elsewhere
from ..database import dialect_insert
from ..extensions import db
from ..models import Device, Patient, Synced, SyncReview, User, utcnow
from ..models.base import take_change_numbers
from ..scope import Refused
from .records import Sent, read_change, shown_id


@dataclass
class Outcome:
    """One entry of the response's `results`, and the server's record to send back on conflict."""

    id: str | None
    status: str  # applied | duplicate | conflict | rejected
    version: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    code: str | None = None
    # Only ever a record the caller may read: the reply projects it for their audience.
    server_record: Synced | None = None
    # What to audit once the batch commits: "<type>.create" or "<type>.update", and whose record.
    audit_action: str | None = None
    patient_id: uuid.UUID | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "version": self.version,
            "errors": self.errors,
        }
        if self.code:
            result["code"] = self.code
        return result


@dataclass
class Batch:
    """Who is syncing, from which device, and the patients looked up so far."""

    actor: User
    device: Device | None
    # Patients looked up in this batch. The session's identity map holds objects weakly, so
    # without this each change of a 500-change batch would load its patient again.
    patients: dict[uuid.UUID, Patient] = field(default_factory=dict)

    def load_patients(self, patient_ids: set[uuid.UUID]) -> None:
        """Load the patients a batch names, in one query rather than one each (a phone's
        batch names a few dozen); those not found are asked for again when needed (a patient
        added earlier in the same batch, say)."""
        wanted = patient_ids - self.patients.keys()
        for start in range(0, len(wanted), 500):
            chunk = list(wanted)[start : start + 500]
            for found in db.session.scalars(select(Patient).where(Patient.id.in_(chunk))):
                self.patients[found.id] = found

    def patient(self, patient_id: uuid.UUID) -> Patient | None:
        """Return a patient, loading it once per batch (a missing one is asked for again)."""
        found = self.patients.get(patient_id) or db.session.get(Patient, patient_id)
        if found is not None:
            self.patients[patient_id] = found
        return found


@dataclass
class _New:
    """A checked new record, waiting for its type's one multi-row INSERT."""

    position: int
    sent: Sent
    row: dict[str, Any]


def apply_batch(changes: list[Any], batch: Batch) -> list[Outcome]:
    """Check and store each change; a bad one never blocks the good ones.

    Checks only read. A run of new records of one type goes in as one multi-row INSERT ... ON
    CONFLICT DO NOTHING (atomic by itself; a row that was already there is then judged as a
    record that exists), and a change that may write more than once (an update, a conflict kept
    for review) runs in a SAVEPOINT. The caller commits the batch once. If that commit never
    happens, the phone sends the batch again and each change comes back `applied` or
    `duplicate`: nothing lost, nothing doubled.
    """
    outcomes: list[Outcome | None] = [None] * len(changes)
    waiting: list[_New] = []
    read: list[Sent | Refused] = []
    for raw in changes:
        try:
            read.append(read_change(raw))
        except Refused as refusal:
            read.append(refusal)
    batch.load_patients({s.patient_id for s in read if isinstance(s, Sent)})
    for position, (raw, sent) in enumerate(zip(changes, read, strict=True)):
        if isinstance(sent, Refused):
            outcomes[position] = Outcome(shown_id(raw), "rejected", errors=sent.errors,
                                         code=sent.code)  # fmt: skip
            continue
        if waiting and not _may_wait_with(sent, waiting):
            _insert_waiting(waiting, outcomes, batch)  # what this change is checked against
            waiting = []
        if sent.base_version is not None:
            outcomes[position] = _settle(sent, batch)
            continue
        try:
            waiting.append(_New(position, sent, _new_row(sent, batch)))
        except Refused as refusal:
            # A resend of what this phone already stored (its answer lost, the patient gone
            # since) is still a duplicate: nothing to review, nothing learned.
            outcomes[position] = _resent(sent, batch) or _refused(sent, refusal, batch)
    if waiting:
        _insert_waiting(waiting, outcomes, batch)
    return [outcome for outcome in outcomes if outcome is not None]


def _may_wait_with(sent: Sent, waiting: list[_New]) -> bool:
    """Whether a change can be checked before the waiting new records are in the database.

    Only another new record of the same type, with another id, that amends nothing: anything
    else (a check-in for a patient created just before it, say) may depend on them.
    """
    if sent.base_version is not None or sent.kind is not waiting[0].sent.kind:
        return False
    if sent.values.get("amends_id") is not None:
        return False
    # A patient with the NHS number of one waiting is checked against it once it is stored.
    nhs_number = sent.values.get("nhs_number")
    if nhs_number and any(new.sent.values.get("nhs_number") == nhs_number for new in waiting):
        return False
    return all(new.sent.id != sent.id for new in waiting)


def _new_row(sent: Sent, batch: Batch) -> dict[str, Any]:
    """Return the row a new record is inserted as (its change number comes at the insert)."""
    patient = None if sent.kind.name == "patient" else batch.patient(sent.patient_id)
    return sent.kind.new_row(batch.actor, patient, sent.id, sent.values, batch.device)


def _insert_waiting(waiting: list[_New], outcomes: list[Outcome | None], batch: Batch) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: the database, not a prior SELECT, decides who wins.

    The run's change numbers are taken now, after every change sent before it was written: a
    record sent after a patient's reassignment in the same batch is numbered after the
    patient left the old caseload, so that caseload's phone is never told of it.
    """
    model = waiting[0].sent.kind.model
    taken = ids_taken_elsewhere((new.sent.id for new in waiting), model)
    if taken:  # rare: the own table first, so a resend of what is stored stays a `duplicate`
        taken -= set(db.session.scalars(select(model.id).where(model.id.in_(taken))))
    if taken:
        for new in waiting:
            if new.sent.id in taken:
                outcomes[new.position] = Outcome(str(new.sent.id), "rejected", code="invalid_id",
                                                 errors={"id": [ID_TAKEN]})  # fmt: skip
        waiting = [new for new in waiting if new.sent.id not in taken]
        if not waiting:
            return
    table = waiting[0].sent.kind.model.__table__  # type: ignore[attr-defined]
    numbers = iter(take_change_numbers(db.session(), [table], len(waiting)))
    for new in waiting:
        seq = next(numbers)
        new.row |= {"version": 1, "seq": seq, "created_seq": seq}
        if new.sent.kind.name == "patient":
            new.row["scope_seq"] = seq  # a new patient enters their caseload now
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.id])
        .returning(table.c.id)
    )
    # RETURNING, not rowcount (psycopg reports -1 rows for this statement); SQLAlchemy sends
    # the rows as multi-row INSERTs ("insertmanyvalues"), one round trip per few hundred.
    inserted = set(db.session.execute(statement, [new.row for new in waiting]).scalars())
    for new in waiting:
        if new.sent.id in inserted:
            outcomes[new.position] = Outcome(
                str(new.sent.id), "applied", version=1,
                audit_action=f"{new.sent.kind.name}.create", patient_id=new.sent.patient_id,
            )  # fmt: skip
        else:  # the id is taken: judged by the record that has it
            outcomes[new.position] = _settle(new.sent, batch)


def _settle(sent: Sent, batch: Batch) -> Outcome:
    """Settle a change to a record that is already there, in its own SAVEPOINT."""
    savepoint = db.session.begin_nested()
    try:
        outcome = _judge(sent, batch)
        savepoint.commit()
        return outcome
    except StaleDataError:
        # Another writer changed the record between our read and our write: a conflict. That
        # writer may have moved the patient out of the caller's reach: judged again before the
        # server's copy goes back.
        savepoint.rollback()
        current = db.session.get(sent.kind.model, sent.id, populate_existing=True)
        patient = None
        if current is not None:  # as the other writer left it, not as this batch loaded it
            patient = db.session.get(Patient, sent.kind.patient_of(current).id,
                                     populate_existing=True)  # fmt: skip
        if current is None or patient is None or not scope.may_hold(batch.actor, patient):
            held_id = patient.id if patient is not None else None
            return _refused(sent, scope.refuse_unreadable(batch.actor, held_id), batch)
        _keep_for_review("conflict", sent, batch)
        return Outcome(str(sent.id), "conflict", version=current.version,
                       code="stale_version", server_record=current)  # fmt: skip
    except Refused as refusal:
        savepoint.rollback()
        return _refused(sent, refusal, batch)


def _judge(sent: Sent, batch: Batch) -> Outcome:
    """Settle a change by the record that has its id: a duplicate, a conflict or an update."""
    kind, actor, values = sent.kind, batch.actor, sent.values
    existing = db.session.get(kind.model, sent.id, with_for_update=True, populate_existing=True)
    if existing is None:  # the same answer as for a record the caller may not see
        raise scope.refuse_unreadable(actor, None)
    patient = kind.patient_of(existing)
    held = scope.may_hold(actor, patient)
    if _is_resend(existing, sent, actor, held):
        return Outcome(str(sent.id), "duplicate", version=existing.version)
    if not held:
        raise scope.refuse_unreadable(actor, patient.id)
    if kind.change is None:
        # A record that never changes: other content is a conflict, said only to someone who
        # could have written such a record for this patient (a patient's phone, a check-in).
        scope.check_write(actor, patient, record_type=kind.name, adding=True, field="id")
        _keep_for_review("conflict", sent, batch)
        return Outcome(str(sent.id), "conflict", version=existing.version,
                       code="content_differs", server_record=existing)  # fmt: skip
    scope.check_write(actor, patient, record_type=kind.name, adding=False, field="id")
    if sent.base_version != existing.version:
        if kind.agrees(existing, values):  # two people did the same thing: nothing to decide
            return Outcome(str(sent.id), "duplicate", version=existing.version)
        _keep_for_review("conflict", sent, batch)
        return Outcome(str(sent.id), "conflict", version=existing.version,
                       code="stale_version", server_record=existing)  # fmt: skip
    kind.change(actor, existing, values)
    db.session.flush()  # raises StaleDataError if another writer changed it since we read it
    return Outcome(str(sent.id), "applied", version=existing.version,
                   audit_action=f"{kind.name}.update", patient_id=patient.id)  # fmt: skip


def _is_resend(existing: Synced, sent: Sent, actor: User, held: bool) -> bool:
    """Whether the stored record is what the caller sent, and all of it theirs to know.

    A `duplicate` confirms every field, so it is said only to whoever receives the whole
    record (staff whose phone holds it), or to the author of a record that never changes
    (they wrote every word of it). Anyone else hears nothing of its content, not even that
    a guess of it is right.
    """
    kind = sent.kind
    whole = held and scope.audience(actor) == "staff"
    authored = kind.author_column is not None and getattr(existing, kind.author_column) == actor.id
    return (whole or authored) and kind.same_content(existing, sent.values)


def _resent(sent: Sent, batch: Batch) -> Outcome | None:
    """Return `duplicate` for a refused new record that is already stored exactly so."""
    existing = db.session.get(sent.kind.model, sent.id)
    if existing is None:
        return None
    held = scope.may_hold(batch.actor, sent.kind.patient_of(existing))
    if not _is_resend(existing, sent, batch.actor, held):
        return None
    return Outcome(str(sent.id), "duplicate", version=existing.version)


def _refused(sent: Sent, refusal: Refused, batch: Batch) -> Outcome:
    # A staff phone's record sent back after a restore may be the only copy left (its patient
    # reassigned, or discharged, since the backup): an admin sees it, whatever the refusal.
    if refusal.keep or (sent.sent_back and batch.actor.is_staff):
        _keep_for_review(refusal.code, sent, batch)
    if refusal.about is not None:  # the answer says something of this patient: on their trail
        device_id = batch.device.id if batch.device else None
        audit("patient.nhs_number_clash", record_type="patient", patient_id=refusal.about,
              user_id=batch.actor.id, device_id=device_id)  # fmt: skip
    return Outcome(str(sent.id), "rejected", errors=refusal.errors, code=refusal.code)


def _keep_for_review(reason: str, sent: Sent, batch: Batch) -> None:
    """Keep the phone's version of a change the server did not apply, once per content.

    What is kept is the change as checked (known fields only, each within its limits), and at
    most SYNC_REVIEWS_PER_DEVICE unresolved ones per phone: past that the phone still holds the
    change, flagged for its person, and the admin has enough to go on.
    """
    device_id = batch.device.id if batch.device else None
    waiting = db.session.scalar(
        db.select(db.func.count(SyncReview.id)).where(
            SyncReview.device_id == device_id, SyncReview.resolved_at.is_(None)
        )
    )
    if (waiting or 0) >= current_app.config["SYNC_REVIEWS_PER_DEVICE"]:
        return
    data = sent.as_sent()
    canonical = json.dumps(
        {"type": sent.kind.name, "id": str(sent.id), "base_version": sent.base_version,
         "data": data}, sort_keys=True)  # fmt: skip
    row = {
        "reason": reason[:20],
        "record_type": sent.kind.name,
        "record_id": str(sent.id),
        "base_version": sent.base_version,
        "data": data,
        "content_hash": hashlib.sha256(canonical.encode()).hexdigest(),
        "user_id": batch.actor.id,
        "device_id": device_id,
        "received_at": utcnow(),
    }
    db.session.execute(dialect_insert(SyncReview.__table__).values(**row).on_conflict_do_nothing())
