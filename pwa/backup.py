"""Back up and restore the database (README, "Backup and restore").

SQLite: `flask --app pwa backup PATH` copies the live database with SQLite's online backup API
(a consistent copy while the app runs), and `flask --app pwa restore PATH` puts a copy back (with
the app stopped). PostgreSQL: `pg_dump` and `pg_restore`, then `flask --app pwa restored`.

A restore's one server-side step, which both `restore` and `restored` do: bring the schema up to
date, then give the database's history a new name (pwa/sync/restore.py), so that every phone
sends back what the server lost and pulls everything written since.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect

from .extensions import db
from .models import utcnow
from .sync.restore import mark_restored


def _sqlite_path() -> Path:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException(
            "This database is PostgreSQL: back it up with pg_dump and restore it with "
            "pg_restore, then run `flask --app pwa restored` (README, Backup and restore)."
        )
    return Path(url.database)


def _copy(source: Path, target: Path) -> None:
    """Copy one SQLite database onto another, page by page, consistently."""
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def _single_file(path: Path) -> None:
    """Make a backup one self-contained file: the live database's WAL mode would otherwise make
    even reading it leave -wal and -shm files beside it."""
    with closing(sqlite3.connect(path)) as copy:
        copy.execute("PRAGMA journal_mode=DELETE")


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


EXPECTED_TABLES = {"change_counter", "users", "patients", "check_ins", "devices"}


def _check_backup(path: Path) -> None:
    """Refuse, before touching the live database, a file that is not a whole backup of ours."""
    try:
        with closing(_read_only(path)) as check:
            tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master")}
            whole = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            revision = (check.execute("SELECT version_num FROM alembic_version").fetchone()
                        if "alembic_version" in tables else None)  # fmt: skip
    except sqlite3.DatabaseError:
        raise click.ClickException(f"{path} is not a SQLite database.") from None
    if not tables >= EXPECTED_TABLES:
        raise click.ClickException(f"{path} is not a backup of this app's database.")
    if not whole:
        raise click.ClickException(f"{path} is damaged (SQLite's integrity check failed).")
    if revision is not None and not _known_revision(revision[0]):
        raise click.ClickException(
            f"{path} comes from a newer version of the app ({revision[0]}): restore it with that."
        )


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from flask import current_app

    migrate = current_app.extensions["migrate"]
    scripts = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    return any(script.revision == revision for script in scripts.walk_revisions())


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH (a new file), while the app runs."""
    live = _sqlite_path()
    partial = path.with_name(path.name + ".partial")
    try:
        # Made readable by the app's user alone before any patient data is in it.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        _copy(live, partial)
        _single_file(partial)
        os.link(partial, path)  # a backup file is whole or absent, and never replaces another
    except FileExistsError:
        raise click.ClickException(
            f"{path} already exists: name each backup anew (the README's names carry the time)."
        ) from None
    except (OSError, sqlite3.Error) as problem:
        folder = "" if path.parent.is_dir() else f" (there is no folder {path.parent}: make it)"
        raise click.ClickException(f"Could not write {path}{folder}: {problem}") from None
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Backed up to {path}. Keep it, and instance/secret_key, as safe as the database.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the app first)."""
    live = _sqlite_path()
    _check_backup(path)
    if not yes:
        click.confirm(
            f"Replace {live} with {path}? Stop the app first. Everything written since that "
            "backup is lost on the server (phones send back what they hold).",
            abort=True,
        )
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds the old file open
    kept = live.with_name(f"{live.name}.before-restore-{utcnow():%Y%m%dT%H%M%S}")
    _copy(live, kept)  # the database as it was, should this restore be the wrong one
    os.chmod(kept, 0o600)
    _copy(path, live)
    _after_restore()
    click.echo(f"Restored {live} from {path}. The database as it was is in {kept}.")


@click.command("restored")
@with_appcontext
def restored_command() -> None:
    """After restoring the database yourself (pg_restore), prepare it for the phones."""
    _after_restore()
    click.echo("Ready: each phone will send back what the server lacks when it next syncs.")


def _after_restore() -> None:
    if inspect(db.engine).has_table("alembic_version"):  # made by `flask db upgrade`, as it is
        upgrade()  # a backup from an older version of the app gets this version's schema
    epoch = mark_restored()
    db.session.commit()
    click.echo(f"The database's history is now named {epoch[:8]}; phones will notice.")
