"""Apply the changes a phone sent, each exactly once; a bad one never blocks the rest."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from ..database import dialect_insert
from ..extensions import db
from ..models import (
    CheckIn,
    CommunityAsset,
    Device,
    Patient,
    ScopeExit,
    Synced,
    SyncReview,
    User,
    utcnow,
)
from . import fields as f
from .records import RECORD_TYPES, RecordType, Rejected


@dataclass
class Outcome:
    """One entry of the response's `results`, and the server's record to send back on conflict."""

    id: str | None
    status: str  # applied | duplicate | conflict | rejected
    version: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    code: str | None = None
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
    """Who is syncing, and the change sequence numbers reserved for this batch's new records."""

    actor: User
    device: Device | None
    numbers: Iterator[int]
    # Patients looked up in this batch. The session's identity map holds objects weakly, so
    # without this each change of a 500-change batch would load its patient again.
    patients: dict[uuid.UUID, Patient] = field(default_factory=dict)

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
    kind: RecordType
    record_id: uuid.UUID
    values: dict[str, Any]
    change: dict[str, Any]
    row: dict[str, Any]


def apply_batch(changes: list[Any], batch: Batch) -> list[Outcome]:
    """Validate, scope-check and store each change; a bad one never blocks the good ones.

    Checks only read. A run of new records of one type goes in as one multi-row INSERT ... ON
    CONFLICT DO NOTHING (atomic by itself; a row that was already there is then settled as a
    duplicate or conflict), and a change that may write more than once (an update, a conflict
    kept for review) runs in a SAVEPOINT. The caller commits the batch once. If that commit
    never happens, the phone sends the batch again and each change comes back `applied` or
    `duplicate`: nothing lost, nothing doubled.
    """
    outcomes: list[Outcome | None] = [None] * len(changes)
    waiting: list[_New] = []
    for position, change in enumerate(changes):
        if waiting and not _may_wait_with(change, waiting):
            _insert_waiting(waiting, outcomes, batch)  # what this change is checked against
            waiting = []
        try:
            kind, record_id, base_version, values = _checked(change, batch)
        except Rejected as refusal:
            if refusal.code == "out_of_scope":
                _keep_for_review("out_of_scope", change, batch.actor, batch.device)
            outcomes[position] = Outcome(_shown_id(change), "rejected", errors=refusal.errors,
                                         code=refusal.code)  # fmt: skip
            continue
        if base_version is None:
            row = _new_row(kind, record_id, values, batch)
            waiting.append(_New(position, kind, record_id, values, change, row))
        else:
            outcomes[position] = _settle(kind, record_id, base_version, values, batch, change)
    if waiting:
        _insert_waiting(waiting, outcomes, batch)
    return [outcome for outcome in outcomes if outcome is not None]


def _shown_id(change: Any) -> str | None:
    shown = change.get("id") if isinstance(change, dict) else None
    return shown if isinstance(shown, str) else None


def _may_wait_with(change: Any, waiting: list[_New]) -> bool:
    """Whether a change can be checked before the waiting new records are in the database.

    Only another new record of the same type, with another id, that amends nothing: anything
    else (a check-in for a patient created just before it, say) may depend on them.
    """
    if not isinstance(change, dict) or change.get("base_version") is not None:
        return False
    if RECORD_TYPES.get(change.get("type")) is not waiting[0].kind:  # type: ignore[arg-type]
        return False
    data = change.get("data")
    if isinstance(data, dict) and data.get("amends") is not None:
        return False
    return all(str(new.record_id) != change.get("id") for new in waiting)


def _patient_of(kind: RecordType, record_id: uuid.UUID, values: dict[str, Any]) -> uuid.UUID:
    """Return the patient a record belongs to (a patient record is its own)."""
    return record_id if kind.name == "patient" else values["patient_id"]


def _settle(
    kind: RecordType,
    record_id: uuid.UUID,
    base_version: int | None,
    values: dict[str, Any],
    batch: Batch,
    change: dict[str, Any],
) -> Outcome:
    """Settle a change to a record that is already there, in its own SAVEPOINT."""
    savepoint = db.session.begin_nested()
    try:
        outcome = _compare_or_update(kind, record_id, base_version, values, batch, change)
        savepoint.commit()
        return outcome
    except StaleDataError:
        # Another writer changed the record between our read and our write: a conflict.
        savepoint.rollback()
        current = db.session.get(kind.model, record_id, populate_existing=True)
        _keep_for_review("conflict", change, batch.actor, batch.device)
        return Outcome(str(record_id), "conflict", version=current.version if current else None,
                       code="stale_version", server_record=current)  # fmt: skip
    except Rejected as refusal:
        savepoint.rollback()
        return Outcome(str(record_id), "rejected", errors=refusal.errors, code=refusal.code)


def _checked(change: Any, batch: Batch) -> tuple[RecordType, uuid.UUID, int | None, dict[str, Any]]:
    """Read and scope-check a change without writing anything; raise Rejected if it is bad."""
    if not isinstance(change, dict):
        raise Rejected("invalid_change", {"change": ["Each change must be an object."]})
    record_id = _read_envelope(change, "id", f.record_id)
    kind = RECORD_TYPES.get(change.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise Rejected("unknown_type", {"type": [f"Must be one of: {', '.join(RECORD_TYPES)}."]})
    base_version = _read_envelope(change, "base_version", _version)
    data = change.get("data")
    if not isinstance(data, dict):
        raise Rejected("validation_failed", {"data": ["Must be an object."]})
    values = kind.read(data, batch.actor)
    _check_scope(kind, record_id, values, batch)
    return kind, record_id, base_version, values


def _read_envelope(change: dict[str, Any], key: str, reader: Any) -> Any:
    try:
        return reader(change.get(key))
    except f.Invalid as problem:
        raise Rejected(f"invalid_{key}", {key: [str(problem)]}) from None


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise f.Invalid("Must be null or the record's version number.")
    return value


def _check_scope(
    kind: RecordType, record_id: uuid.UUID, values: dict[str, Any], batch: Batch
) -> None:
    """Refuse a change to anything outside the caller's caseload (or own record)."""
    actor = batch.actor
    if actor.role == "patient":
        own = db.session.scalar(db.select(Patient.id).where(Patient.user_id == actor.id))
        if kind.name != "checkin" or values["patient_id"] != own:
            raise Rejected("forbidden", {"type": ["You can only send your own check-ins."]})
        return
    named = values.get("link_worker_id") or values.get("assigned_to_id")
    if actor.role == "admin" and named is not None:
        worker = db.session.get(User, named)
        if worker is None or worker.role != "link_worker" or not worker.active:
            key = "link_worker_id" if "link_worker_id" in values else "assigned_to"
            raise Rejected("validation_failed", {key: ["Must be an active link worker."]})
    if kind.name == "patient":
        existing = batch.patient(record_id)
        if existing is not None:
            _check_patient(existing, actor, "id")
        return
    patient = batch.patient(values["patient_id"])
    if patient is None:
        raise Rejected("unknown_patient", {"patient_id": ["No such patient."]})
    _check_patient(patient, actor, "patient_id")
    if kind.name == "referral" and db.session.get(CommunityAsset, values["asset_id"]) is None:
        raise Rejected("validation_failed", {"asset_id": ["No such community asset."]})
    amends = values.get("amends_id")
    if amends is not None:
        amended = db.session.get(CheckIn, amends)
        if amended is None or amended.patient_id != patient.id:
            raise Rejected(
                "validation_failed", {"amends": ["Must be a check-in of the same patient."]}
            )


def _check_patient(patient: Patient, actor: User, field_name: str) -> None:
    if actor.role == "admin":
        return
    if patient.link_worker_id == actor.id and patient.status == "active":
        return
    left = db.session.scalar(
        db.select(ScopeExit.id)
        .where(ScopeExit.user_id == actor.id, ScopeExit.patient_id == patient.id)
        .limit(1)
    )
    if left is not None:
        raise Rejected(
            "out_of_scope",
            {
                field_name: [
                    "This patient is no longer on your caseload. An admin will review this change."
                ]
            },
        )
    # Never on their caseload: say no more than for a patient who does not exist.
    raise Rejected("unknown_patient", {field_name: ["No such patient."]})


def _compare_or_update(
    kind: RecordType,
    record_id: uuid.UUID,
    base_version: int | None,
    values: dict[str, Any],
    batch: Batch,
    change: dict[str, Any],
) -> Outcome:
    """Settle a change whose record is already there: a duplicate, a conflict or an update."""
    patient_id = _patient_of(kind, record_id, values)
    existing = db.session.get(kind.model, record_id, with_for_update=True, populate_existing=True)
    if existing is None:
        raise Rejected("unknown_record",
                       {"base_version": ["The server has no such record to update."]})  # fmt: skip
    if all(getattr(existing, name) == value for name, value in values.items()):
        return Outcome(str(record_id), "duplicate", version=existing.version)
    if kind.immutable or base_version != existing.version:
        _keep_for_review("conflict", change, batch.actor, batch.device)
        return Outcome(str(record_id), "conflict", version=existing.version,
                       code="content_differs" if kind.immutable else "stale_version",
                       server_record=existing)  # fmt: skip
    for name, value in values.items():
        setattr(existing, name, value)
    db.session.flush()  # raises StaleDataError if another writer changed it since we read it
    return Outcome(str(record_id), "applied", version=existing.version,
                   audit_action=f"{kind.name}.update", patient_id=patient_id)  # fmt: skip


def _new_row(kind: RecordType, record_id: uuid.UUID, values: dict[str, Any],
             batch: Batch) -> dict[str, Any]:  # fmt: skip
    """Return the row a new record is inserted as, with its change sequence number."""
    seq = next(batch.numbers)
    row = {**values, "id": record_id, "version": 1, "seq": seq}
    if kind.name == "patient":
        row["scope_seq"] = seq
    if kind.name == "checkin":
        row |= {"author_id": batch.actor.id, "received_at": utcnow(),
                "source": "self" if batch.actor.role == "patient" else "link_worker",
                "device_id": batch.device.id if batch.device else None}  # fmt: skip
    if kind.name == "referral":
        row["created_by_id"] = batch.actor.id
    return row


def _insert_waiting(waiting: list[_New], outcomes: list[Outcome | None], batch: Batch) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: the database, not a prior SELECT, decides who wins."""
    table = waiting[0].kind.model.__table__  # type: ignore[attr-defined]
    statement = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.id])
        .returning(table.c.id)
    )
    # RETURNING, not rowcount (psycopg reports -1 rows for this statement); SQLAlchemy sends
    # the rows as multi-row INSERTs ("insertmanyvalues"), one round trip per few hundred.
    inserted = set(db.session.execute(statement, [new.row for new in waiting]).scalars())
    for new in waiting:
        patient_id = _patient_of(new.kind, new.record_id, new.values)
        if new.record_id in inserted:
            outcomes[new.position] = Outcome(
                str(new.record_id), "applied", version=1,
                audit_action=f"{new.kind.name}.create", patient_id=patient_id,
            )  # fmt: skip
        else:  # already there: the same content is a duplicate, other content a conflict
            outcomes[new.position] = _settle(new.kind, new.record_id, None, new.values, batch,
                                             new.change)  # fmt: skip


def _keep_for_review(reason: str, change: Any, actor: User, device: Device | None) -> None:
    """Keep the phone's version of a change the server did not apply, once per content."""
    canonical = json.dumps(change, sort_keys=True, default=str)
    row = {
        "reason": reason,
        "record_type": str(change.get("type"))[:20],
        "record_id": str(change.get("id"))[:36],
        "base_version": change.get("base_version")
        if isinstance(change.get("base_version"), int)
        else None,
        "data": change.get("data"),
        "content_hash": hashlib.sha256(canonical.encode()).hexdigest(),
        "user_id": actor.id,
        "device_id": device.id if device else None,
        "received_at": utcnow(),
    }
    db.session.execute(dialect_insert(SyncReview.__table__).values(**row).on_conflict_do_nothing())
