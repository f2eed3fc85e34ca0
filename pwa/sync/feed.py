"""The pull half of sync: what changed in the caller's scope after their cursor, oldest first.

Every event has a position (key, rank, id). The key is the change sequence number, except for a
patient's records when the patient has just come onto this caseload: then it is the moment they
came (`scope_seq`), so old records reach the new phone. Many records can share that key, so the
cursor holds the whole position and a page may end anywhere.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, or_

from ..extensions import db
from ..models import AssetReferral, CheckIn, CommunityAsset, FollowUp, Patient, ScopeExit, User

CHILD_TYPES = (("checkin", CheckIn), ("followup", FollowUp), ("referral", AssetReferral))
TYPE_NAMES = {
    Patient: "patient",
    CheckIn: "checkin",
    FollowUp: "followup",
    AssetReferral: "referral",
    CommunityAsset: "asset",
}
RANKS = {"patient": 0, "checkin": 1, "followup": 2, "referral": 3, "asset": 4, "exit": 5}


class BadCursor(ValueError):
    """A cursor this server did not hand out."""


class Position(NamedTuple):
    key: int
    rank: int
    id: str  # the record id's hex, which orders as both databases order UUIDs

    def encode(self) -> str:
        raw = f"v2:{self.key}:{self.rank}:{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str | None) -> Position:
        if cursor is None:
            return START
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            version, key, rank, record = text.split(":")
            if version != "v2" or (record and len(record) != 32):
                raise ValueError
            int(record or "0", 16)
            return cls(int(key), int(rank), record)
        except (ValueError, UnicodeDecodeError):
            raise BadCursor(cursor) from None


START = Position(0, -1, "")


@dataclass(frozen=True)
class Event:
    """One position in the feed: a changed record, or a patient who left the caseload."""

    position: Position
    entries: tuple[dict[str, Any], ...]


def record_entry(record: Any) -> dict[str, Any]:
    """Return a record as the feed carries it."""
    return {
        "id": str(record.id),
        "type": TYPE_NAMES[type(record)],
        "version": record.version,
        "deleted": False,
        "data": record.to_dict(),
    }


def _greatest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    # GREATEST() is PostgreSQL's, max(a, b) SQLite's: CASE means the same on both.
    return case((a > b, a), else_=b)


def _after(
    key: ColumnElement[Any], rank: int, record_id: ColumnElement[Any] | None, cursor: Position
) -> ColumnElement[bool]:
    """SQL for "this source's position (key, rank, id) comes after the cursor"."""
    if rank > cursor.rank:
        return key >= cursor.key
    if rank < cursor.rank or record_id is None or not cursor.id:
        return key > cursor.key
    return or_(key > cursor.key, and_(key == cursor.key, record_id > uuid.UUID(cursor.id)))


def _patients_in_scope(actor: User) -> Select[Any]:
    query = db.select(Patient.id)
    if actor.role == "link_worker":
        return query.where(Patient.link_worker_id == actor.id, Patient.status == "active")
    if actor.role == "patient":
        return query.where(Patient.user_id == actor.id)
    return query


def pull(actor: User, cursor: Position, limit: int) -> tuple[list[dict[str, Any]], Position, bool]:
    """Return (entries, the cursor after them, whether more remain)."""
    in_scope = db.select(_patients_in_scope(actor).subquery().c.id)
    events: list[Event] = []

    def fetch(query: Select[Any], model: Any, key: ColumnElement[Any], rank: int) -> None:
        rows = db.session.execute(
            query.add_columns(key)
            .where(_after(key, rank, model.id, cursor))
            .order_by(key, model.id)
            .limit(limit + 1)
        )
        events.extend(Event(Position(k, rank, r.id.hex), (record_entry(r),)) for r, k in rows)

    fetch(db.select(Patient).where(Patient.id.in_(in_scope)), Patient, Patient.seq,
          RANKS["patient"])  # fmt: skip
    for name, model in CHILD_TYPES:
        # A join, not a subquery per row: PostgreSQL ran that once per record of each patient.
        children = (
            db.select(model)
            .join(Patient, Patient.id == model.patient_id)
            .where(Patient.id.in_(in_scope))
        )
        key = _greatest(model.seq, func.coalesce(Patient.scope_seq, 0))
        fetch(children, model, key, RANKS[name])
    fetch(db.select(CommunityAsset), CommunityAsset, CommunityAsset.seq, RANKS["asset"])
    if actor.role == "link_worker":
        exits = db.session.scalars(
            db.select(ScopeExit)
            .where(
                ScopeExit.user_id == actor.id, _after(ScopeExit.seq, RANKS["exit"], None, cursor)
            )
            .order_by(ScopeExit.seq)
            .limit(limit + 1)
        )
        events.extend(
            Event(Position(e.seq, RANKS["exit"], ""), tuple(_deletions(e.patient_id)))
            for e in exits
        )

    events.sort(key=lambda e: e.position)
    page = events[:limit]
    entries = [entry for event in page for entry in event.entries]
    return entries, (page[-1].position if page else cursor), len(events) > limit


def patients_sent(entries: Iterable[dict[str, Any]]) -> set[uuid.UUID]:
    """Return the patients whose records a page carries: each is a read to audit."""
    found = set()
    for entry in entries:
        if not entry["deleted"] and entry["type"] != "asset":
            found.add(
                uuid.UUID(
                    entry["id"] if entry["type"] == "patient" else entry["data"]["patient_id"]
                )
            )
    return found


def _deletions(patient_id: uuid.UUID) -> Iterable[dict[str, Any]]:
    """Tell the phone to purge a patient and every record of theirs."""
    for type_name, model in CHILD_TYPES:
        for record_id in db.session.scalars(
            db.select(model.id).where(model.patient_id == patient_id)
        ):
            yield {"id": str(record_id), "type": type_name, "deleted": True}
    yield {"id": str(patient_id), "type": "patient", "deleted": True}
