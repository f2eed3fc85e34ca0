"""Migrations build the same schema the models describe, on an empty database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from pwa import create_app
from pwa.extensions import db
from pwa.models import change_counter

from .conftest import FAST_HASHING, database_url


@pytest.fixture
def empty_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PWA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(tmp_path), **FAST_HASHING}
    )
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        yield app
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


def test_upgrade_builds_the_schema_the_models_describe(empty_app: object) -> None:
    upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []
        assert connection.execute(select(change_counter.c.value)).scalar_one() == 0


def test_downgrade_removes_everything_and_upgrade_comes_back(empty_app: object) -> None:
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "patients" in inspect(db.engine).get_table_names()


def test_the_app_is_ready_after_upgrade(empty_app: object, tmp_path: Path) -> None:
    upgrade()
    runner = empty_app.test_cli_runner()  # type: ignore[attr-defined]
    assert runner.invoke(args=["seed-demo"]).exit_code == 0


@pytest.mark.skipif("TEST_DATABASE_URL" in os.environ, reason="SQLite file settings only")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(empty_app: object) -> None:
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
