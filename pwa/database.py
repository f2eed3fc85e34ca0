"""Tune the database connection: SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
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
