"""Column types and the mixin every synced record shares: client UUID, version, change sequence."""

from __future__ import annotations

import uuid
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
    event,
    insert,
    update,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column
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
# change that committed late with a lower number.
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
    """Reserve `count` change sequence numbers in this transaction."""
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
    numbers = iter(next_sequence_numbers(session, len(changed) + len(exits)))
    for obj, before, after in moves:
        obj.seq = next(numbers)
        if obj in session.new:
            obj.created_seq = obj.seq
        if after and before != after:
            obj.scope_seq = obj.seq  # type: ignore[attr-defined]  # only patients move
    if exits:
        from .sync import ScopeExit  # imported late: sync's models import this module

        for obj, user_id in exits:
            session.add(ScopeExit(user_id=user_id, patient_id=obj.id, seq=next(numbers)))
