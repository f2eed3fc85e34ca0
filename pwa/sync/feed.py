"""The pull half of sync: what changed in the caller's scope after their cursor, oldest first.

Every event has a position (key, rank, id). The key is the change sequence number, except for a
patient's records when the patient has just come onto this caseload: then it is the moment they
came (`scope_seq`), so old records reach the new phone. Many records can share that key, so the
cursor holds the whole position and a page may end anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import (
    AssetReferral,
    CheckIn,
    CommunityAsset,
    Contact,
    FollowUp,
    Patient,
    ScopeExit,
    User,
)
from ..projections import feed_entry
from ..scope import audience, held_patient_ids

CHILD_TYPES = (("checkin", CheckIn), ("followup", FollowUp), ("referral", AssetReferral),
               ("contact", Contact))  # fmt: skip
# Ranks are written into cursors phones hold: a new type takes the next number, never another's.
RANKS = {"patient": 0, "checkin": 1, "followup": 2, "referral": 3, "asset": 4, "exit": 5,
         "contact": 6}  # fmt: skip
# What each audience's phone is sent of a patient's records (a patient's: never contacts).
SENT_TO = {"staff": ("checkin", "followup", "referral", "contact"),
           "patient": ("checkin", "followup", "referral")}  # fmt: skip
SQLValue = ColumnElement[Any] | InstrumentedAttribute[Any]
# Sequence numbers are BIGINT: a cursor naming one beyond that is not one this server gave.
MAX_KEY = 2**63 - 1


class BadCursor(ValueError):
    """A cursor this server did not hand out."""


class Position(NamedTuple):
    key: int
    rank: int
    id: str  # the record id's hex, which orders as both databases order UUIDs

    def encode(self, epoch: str = "") -> str:
        """Return the opaque cursor for this position in this epoch of the server's history,
        signed so that only this server makes one."""
        body = f"v4:{epoch}:{self.key}:{self.rank}:{self.id}" if epoch else self._v3()
        raw = f"{body}:{_signature(body)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _v3(self) -> str:
        return f"v3:{self.key}:{self.rank}:{self.id}"

    @classmethod
    def decode(cls, cursor: str | None) -> Position:
        """Read a cursor this server gave out; anything else (garbled, forged) is BadCursor."""
        return cls.read(cursor)[0]

    @classmethod
    def read(cls, cursor: str | None) -> tuple[Position, str | None]:
        """Read a cursor and the epoch it was given out in (None: before epochs, or no cursor).

        Anything this server did not give out (garbled, forged) is BadCursor.
        """
        if cursor is None:
            return START, None
        try:
            if len(cursor) > 200:
                raise ValueError
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            body, _, signature = text.rpartition(":")
            if not hmac.compare_digest(signature, _signature(body)):
                raise ValueError
            parts = body.split(":")
            version, epoch = parts[0], (parts.pop(1) if parts[0] == "v4" else None)
            _, key, rank, record = parts
            position = cls(int(key), int(rank), record)
            if version not in ("v3", "v4") or not 0 <= position.key <= MAX_KEY:
                raise ValueError
            if rank not in _RANK_TEXT or (epoch is not None and not _EPOCH.fullmatch(epoch)):
                raise ValueError
            if record and (len(record) != 32 or record != uuid.UUID(record).hex):
                raise ValueError
            if position.encode(epoch or "") != cursor:  # base64 skips stray characters
                raise ValueError
            return position, epoch
        except (ValueError, UnicodeDecodeError):
            raise BadCursor(cursor) from None


_EPOCH = re.compile(r"[0-9a-f]{32}")
_RANK_TEXT = {str(rank) for rank in (-1, *RANKS.values())}


def _signature(body: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    key = hmac.new(str(secret).encode(), b"sync-cursor", hashlib.sha256).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:24]


START = Position(0, -1, "")


def _greatest(a: SQLValue, b: SQLValue) -> SQLValue:
    # GREATEST() is PostgreSQL's, max(a, b) SQLite's: CASE means the same on both.
    return case((a > b, a), else_=b)


def _after(
    key: SQLValue, rank: int, record_id: SQLValue | None, cursor: Position
) -> ColumnElement[bool]:
    """SQL for "this source's position (key, rank, id) comes after the cursor"."""
    if rank > cursor.rank:
        return key >= cursor.key
    if rank < cursor.rank or record_id is None or not cursor.id:
        return key > cursor.key
    return or_(key > cursor.key, and_(key == cursor.key, record_id > uuid.UUID(cursor.id)))


def pull(actor: User, cursor: Position, limit: int) -> tuple[list[dict[str, Any]], Position, bool]:
    """Return (entries, the cursor after them, whether more remain), projected for the caller.

    The caller's scope is `pwa.scope.held_patient_ids`: a link worker's active caseload, a
    patient's own record, everyone for an admin. Staff get the whole asset directory; a
    patient gets the entries their referrals name.

    Two steps: each source's next positions (key and id only, `limit` + 1 of them), merged to
    find the page; then only the page's records are loaded and projected. Loading whole records
    for every source's next `limit` would load up to six pages to send one.
    """
    in_scope = select(held_patient_ids(actor).subquery().c.id)
    seen_by = audience(actor)
    sources: list[_Source] = []
    entered = func.coalesce(Patient.scope_seq, 0)

    def patients(*columns: Any) -> Select[Any]:
        return select(*columns).where(Patient.id.in_(in_scope))

    sources.append(_Source(patients, Patient, Patient.seq, RANKS["patient"]))
    for name, model in CHILD_TYPES:
        if name in SENT_TO[seen_by]:
            sources.append(_Source(_children(model, in_scope), model,
                                   _greatest(model.seq, entered), RANKS[name]))  # fmt: skip
    if seen_by == "staff":
        sources.append(_Source(select, CommunityAsset, CommunityAsset.seq, RANKS["asset"]))
    else:

        def named(*columns: Any) -> Select[Any]:
            return (
                select(*columns)
                .select_from(CommunityAsset)
                .join(AssetReferral, AssetReferral.asset_id == CommunityAsset.id)
                .join(Patient, Patient.id == AssetReferral.patient_id)
                .where(Patient.id.in_(in_scope))
            )

        key = _greatest(CommunityAsset.seq, _greatest(AssetReferral.seq, entered))
        sources.append(_Source(named, CommunityAsset, key, RANKS["asset"]))

    # Every source's next positions in ONE statement, so they come from one snapshot. At READ
    # COMMITTED (PostgreSQL) each statement sees the latest commits: with a statement per
    # source, a patient and their check-in committed together between two of them could put
    # the check-in on the page without the patient, and the cursor would pass the patient.
    runs = [
        source.query(
            source.key.label("key"), literal(source.rank).label("rank"),
            source.model.id.label("id"), literal(index).label("source"),
        )
        .where(_after(source.key, source.rank, source.model.id, cursor))
        .order_by(source.key, source.model.id)
        .limit(limit + 1)
        .subquery()
        for index, source in enumerate(sources)
    ]  # fmt: skip
    if actor.role == "link_worker":  # patients who left this caseload
        runs.append(
            select(
                ScopeExit.seq.label("key"), literal(RANKS["exit"]).label("rank"),
                null().cast(Uuid).label("id"), literal(-1).label("source"),
            )
            .where(ScopeExit.user_id == actor.id,
                   _after(ScopeExit.seq, RANKS["exit"], None, cursor))
            .order_by(ScopeExit.seq)
            .limit(limit + 1)
            .subquery()
        )  # fmt: skip
    merged = union_all(*(select(run) for run in runs)).subquery()
    rows = db.session.execute(
        select(merged).order_by(merged.c.key, merged.c.rank, merged.c.id).limit(limit + 1)
    )
    found = [(Position(key, rank, record_id.hex if record_id else ""), index)
             for key, rank, record_id, index in rows]  # fmt: skip
    page = found[:limit]
    # The page's records, read after its positions. One changed since has a later key now
    # and is not on this page (a later one carries it); nothing can join the page, since a
    # commit after the positions were read takes numbers after all of them.
    records = _load(sources, page, cursor)
    exits = _exits(actor, page)
    entries: list[dict[str, Any]] = []
    for position, index in page:
        if index < 0:
            entries.extend(_deletions(exits[position.key]))
        elif (record := records.get((index, position.id))) is not None:
            entries.append(feed_entry(record, seen_by))
    return entries, (page[-1][0] if page else cursor), len(found) > limit


def _exits(actor: User, page: list[tuple[Position, int]]) -> dict[int, ScopeExit]:
    """The scope exits on the page, by change number."""
    seqs = [position.key for position, index in page if index < 0]
    if not seqs:
        return {}
    found = db.session.scalars(
        select(ScopeExit).where(ScopeExit.user_id == actor.id, ScopeExit.seq.in_(seqs))
    )
    return {exit.seq: exit for exit in found}


@dataclass(frozen=True)
class _Source:
    """One kind of record the feed carries: its query (given the columns to select), its
    model, the SQL for its position key, and its rank."""

    query: Callable[..., Select[Any]]
    model: Any
    key: SQLValue
    rank: int


def _children(model: Any, in_scope: Select[Any]) -> Callable[..., Select[Any]]:
    def query(*columns: Any) -> Select[Any]:
        # A join, not a subquery per row: PostgreSQL ran that once per record of each patient.
        return (
            select(*columns)
            .select_from(model)
            .join(Patient, Patient.id == model.patient_id)
            .where(Patient.id.in_(in_scope))
        )

    return query


def _load(
    sources: list[_Source], page: list[tuple[Position, int]], cursor: Position
) -> dict[tuple[int, str], Any]:
    """Load the page's records by (source, id hex): from each source, what lies after the
    cursor up to its last position on the page, by the source's own query (so still within
    the caller's scope). A range, not a list of ids, so the query stays small and uses the
    same index as the first step."""
    last: dict[int, Position] = {}
    for position, index in page:
        if index >= 0:
            last[index] = position  # the page is in order: the last one seen is the furthest
    found: dict[tuple[int, str], Any] = {}
    for index, upto in last.items():
        source = sources[index]
        query = source.query(source.model).where(
            _after(source.key, source.rank, source.model.id, cursor),
            ~_after(source.key, source.rank, source.model.id, upto),
        )
        for record in db.session.scalars(query).unique():
            found[index, record.id.hex] = record
    return found


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


def _deletions(exit: ScopeExit) -> Iterable[dict[str, Any]]:
    """Tell the phone to purge a patient who left its caseload, and their records.

    Only records that existed when the patient left: the phone could have held those, and
    naming one made later would tell it what happened after it lost sight of the patient.
    """
    for type_name, model in CHILD_TYPES:
        for record_id in db.session.scalars(
            select(model.id).where(model.patient_id == exit.patient_id,
                                   model.created_seq < exit.seq)
        ):  # fmt: skip
            yield {"id": str(record_id), "type": type_name, "deleted": True}
    yield {"id": str(exit.patient_id), "type": "patient", "deleted": True}
