"""Tune the database connection (SQLite: WAL, busy timeout, foreign keys, IMMEDIATE), and
give the INSERT that knows ON CONFLICT for whichever database it is."""

from __future__ import annotations

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
        # and the busy timeout cannot help it.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(table: Any) -> Any:
    """Return this database's INSERT, which knows ON CONFLICT (SQLite's or PostgreSQL's)."""
    dialect = db.session.get_bind().dialect.name
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)
