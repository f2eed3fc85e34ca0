"""Tune the database connection (SQLite: WAL, busy timeout, foreign keys, IMMEDIATE), run reads
that take no write lock (`reading`), and give the INSERT that knows ON CONFLICT for whichever
database it is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from .extensions import db


def configure_database(app: Flask) -> None:
    """Attach the SQLite pragmas to the app's engine; other databases need nothing here."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (pysqlite's own BEGIN is DEFERRED and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: a DEFERRED transaction that reads and then
        # writes can fail at once with "database is locked" when another writer got in between,
        # and the busy timeout cannot help it. Only a block of `reading` begins DEFERRED, and
        # SQLite refuses it any write (query_only), so it cannot get that far.
        read_only = _reading.get()
        if connection.info.get("query_only", False) != read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            connection.info["query_only"] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_reading: ContextVar[bool] = ContextVar("reading", default=False)


@contextmanager
def reading() -> Iterator[None]:
    """Run the block's reads in a transaction of their own that never waits for a writer.

    On SQLite one writer at a time holds the database, and every other transaction begins
    IMMEDIATE, holding it from its first statement: a read there queues behind every write,
    and every write behind it. The block's transaction begins DEFERRED instead, which in WAL
    mode reads the last commit without any lock. It must not write, and SQLite is told so
    (query_only): a write raises at once rather than racing for the lock.

    The transaction open before the block is committed first. The block's own is ended after
    it without expiring what it loaded: the objects stay as read, as they would in one longer
    transaction, and a later transaction that writes must ask again (populate_existing) for
    anything it decides on. PostgreSQL's reads never wait for writers, and ending transactions
    there costs a round trip each, so on PostgreSQL the block changes nothing.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    if session.in_transaction():
        session.commit()
    token = _reading.set(True)
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    else:
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    finally:
        _reading.reset(token)


def dialect_insert(table: Any) -> Any:
    """Return this database's INSERT, which knows ON CONFLICT (SQLite's or PostgreSQL's)."""
    dialect = db.session.get_bind().dialect.name
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)
