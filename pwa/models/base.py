"""Column types and the mixin every synced record shares: client UUID, version, change sequence."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Uuid,
    case,
    event,
    insert,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from ..extensions import db


def utcnow() -> datetime:
    """Return the server's clock as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store instants as naive UTC and always hand back aware UTC datetimes.

    SQLite has no time zone type, so without this an aware value written to it comes back naive
    and comparisons across the two databases silently differ.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# One row holding the last change sequence number handed out. Taking the next number is an UPDATE
# of this row, so the row lock orders numbers in commit order: a pull by cursor can never skip a
# change that committed late with a lower number. PostgreSQL takes it only at COMMIT
# (`take_change_numbers`), so writers queue for it for a moment, not for a whole sync.
#
# `epoch` names this copy of the database's history for phones' cursors: restoring a backup
# gives it a new one (`flask --app pwa restore` / `restored`), so every phone learns that the
# server went back in time (pwa/sync/restore.py).
change_counter = Table(
    "change_counter",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("epoch", String(32), nullable=False),
)


def new_epoch() -> str:
    """A fresh name for the database's history."""
    return uuid.uuid4().hex


@event.listens_for(change_counter, "after_create")
def _seed_change_counter(target: Table, connection: Connection, **kw: Any) -> None:
    connection.execute(insert(change_counter).values(id=1, value=0, epoch=new_epoch()))


class Synced:
    """Columns of a record the phone can create offline and the sync feed carries."""

    __tablename__: str

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # Incremented by SQLAlchemy on every UPDATE, which also checks it (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    # The change sequence number the record was created at: when a patient leaves a caseload,
    # the feed names as deleted only the records that existed then (pwa/sync/feed.py).
    created_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]

    def scope_changes(self) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """Return whose caseload this record was in before this flush and is in after it.

        Only patients move between caseloads; every other record goes where its patient goes.
        """
        return (None, None)


def next_sequence_numbers(session: Session, count: int) -> range:
    """Reserve `count` change sequence numbers in this transaction, holding the counter's row
    lock until it ends."""
    last = (
        session.connection()
        .execute(
            update(change_counter)
            .where(change_counter.c.id == 1)
            .values(value=change_counter.c.value + count)
            .returning(change_counter.c.value)
        )
        .scalar_one()
    )
    return range(last - count + 1, last + 1)


# Which change-numbered columns a table has: every synced record's, a patient's moment of entry
# to a caseload, a scope exit's.
_NUMBERED = ("seq", "created_seq", "scope_seq")


def take_change_numbers(session: Session, tables: Iterable[Table], count: int) -> range:
    """Return `count` change numbers for rows about to be written to `tables`, in the order
    the writes happen in this transaction.

    The guarantee the feed relies on: numbers become visible in commit order, so a cursor
    never passes a number that a later commit fills in. On SQLite every writing transaction
    holds the database's one write lock from BEGIN, so the numbers are the real ones at once.
    On PostgreSQL, taking the counter's row lock here would hold it through everything the
    transaction does next: validation, inserts, audit rows, and every other writer would wait
    for all of it. So PostgreSQL gets provisional numbers (negative, ordered) and
    `_number_at_commit` swaps them for real ones just before COMMIT, the only moment the
    counter's lock is held. Nothing reads a number before its transaction commits.
    """
    if not numbers_wait_for_commit(session):
        return next_sequence_numbers(session, count)
    pending = session.info.get(_PENDING)
    root = session.get_transaction()
    if pending is None or pending.transaction is not root:
        pending = session.info[_PENDING] = _Provisional(root)
    pending.tables.update((table.name, table) for table in tables)
    first = pending.used + 1
    pending.used += count
    return range(-first, -(first + count), -1)


def numbers_wait_for_commit(session: Session) -> bool:
    """Whether this database's rows get provisional numbers until COMMIT: all but SQLite.
    (Tests run SQLite this way too, so both paths are tried on either database.)"""
    return session.get_bind().dialect.name != "sqlite"


_PENDING = "provisional_change_numbers"


class _Provisional:
    """This transaction's provisional change numbers: -1, -2, ... in the order given out."""

    def __init__(self, transaction: object) -> None:
        self.transaction = transaction
        self.used = 0
        self.tables: dict[str, Table] = {}


@event.listens_for(Session, "before_commit")
def _number_at_commit(session: Session) -> None:
    """Give this transaction's rows their real change numbers, under the counter's lock, just
    before COMMIT (PostgreSQL; see `take_change_numbers`).

    Provisional number -k becomes the k-th of the numbers reserved now, so the order within
    the transaction is kept: a record written after its patient left a caseload still comes
    after the exit.
    """
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT's commit: the transaction goes on
    session.flush()  # the provisional numbers of whatever is still pending
    pending = session.info.pop(_PENDING, None)
    if pending is None or pending.transaction is not session.get_transaction():
        return
    numbers = next_sequence_numbers(session, pending.used)
    before = numbers.start - 1  # -k becomes before + k
    connection = session.connection()
    for table in pending.tables.values():
        columns = [table.c[name] for name in _NUMBERED if name in table.c]
        values: dict[Any, Any] = {c: case((c < 0, before - c), else_=c) for c in columns}
        if "updated_at" in table.c:  # as written: the swap is not a change (no onupdate)
            values[table.c.updated_at] = table.c.updated_at
        connection.execute(update(table).where(table.c.seq < 0).values(values))
    for obj in list(session.identity_map.values()):  # the objects still held, as now stored
        for name in _NUMBERED:
            value = obj.__dict__.get(name)
            if isinstance(value, int) and value < 0:
                set_committed_value(obj, name, before - value)


@event.listens_for(Session, "before_flush")
def _stamp_change_sequence(session: Session, flush_context: Any, instances: Any) -> None:
    """Give every new or changed synced record the next change sequence number."""
    changed = [obj for obj in session.new if isinstance(obj, Synced)]
    changed += [
        obj
        for obj in session.dirty
        if isinstance(obj, Synced) and session.is_modified(obj, include_collections=False)
    ]
    if not changed:
        return
    # A stable order keeps sequence numbers deterministic within one flush.
    changed.sort(key=lambda obj: str(obj.id or ""))
    moves = [(obj, *obj.scope_changes()) for obj in changed]
    exits = [(obj, before) for obj, before, after in moves if before and before != after]
    tables = {type(obj).__table__ for obj in changed}  # type: ignore[attr-defined]
    if exits:
        from .sync import ScopeExit  # imported late: sync's models import this module

        tables.add(ScopeExit.__table__)
    numbers = iter(take_change_numbers(session, tables, len(changed) + len(exits)))
    for obj, before, after in moves:
        obj.seq = next(numbers)
        if obj in session.new:
            obj.created_seq = obj.seq
        if after and before != after:
            obj.scope_seq = obj.seq  # type: ignore[attr-defined]  # only patients move
    if exits:
        for obj, user_id in exits:
            session.add(ScopeExit(user_id=user_id, patient_id=obj.id, seq=next(numbers)))
