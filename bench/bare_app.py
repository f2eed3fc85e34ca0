"""The ceiling bench/load.py measures the app against: a bare Flask endpoint that inserts one row
per request into the same database, with nothing else (no sign-in, no checks, no audit)."""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, event, insert
from sqlalchemy.exc import DBAPIError

engine = create_engine(
    os.environ["BARE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
)
if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _tune(dbapi_connection: object, record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


rows = Table("bench_bare", MetaData(), Column("id", String(36), primary_key=True),
             Column("at", DateTime, nullable=False))  # fmt: skip
# bench/load.py makes it before the workers start; run on its own, the first worker does (and
# another that raced it to PostgreSQL's CREATE finds it made).
with contextlib.suppress(DBAPIError):
    rows.metadata.create_all(engine, checkfirst=True)
app = Flask(__name__)


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.post("/bare")
def bare() -> dict[str, str]:
    record = str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(insert(rows).values(id=record, at=datetime.now(UTC)))
    return {"id": record}
