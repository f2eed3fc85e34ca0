"""The server is restored from a backup, in real Chromium against the real server.

The phone signs in and syncs, the server is backed up, the phone saves check-ins with no signal
and sends them (acknowledged, gone from its outbox), then the server is restored from the backup
and restarted, and something new is written on it. Reopening the app is all anybody does: the
server then holds every check-in exactly once, and the phone holds the new record.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from pwa.extensions import db
from pwa.models import CheckIn, Patient, User

from .test_browser import module, pytestmark  # noqa: F401 - the same browser requirement
from .test_browser_offline import (
    OUTBOX_SIZE,
    STORE,
    count,
    eventually,
    save_check_in_offline,
    sign_in_and_sync,
)
from .test_restore import Backups


class Server:
    """The app served from a thread, on one port, which can be stopped and started again."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = 0
        self.server: BaseWSGIServer | None = None
        self.start()

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(app: Flask) -> Iterator[Server]:
    from pwa.demo import seed_demo

    seed_demo()
    db.session.commit()
    running = Server(app)
    yield running
    running.stop()


def test_after_a_restore_the_phone_sends_back_what_the_server_lost_and_gets_what_is_new(
    app: Flask, server: Server, page: Any, context: Any, tmp_path: Path
) -> None:
    sign_in_and_sync(page, server.url)
    backups = Backups(app, tmp_path)
    backup = backups.take()

    save_check_in_offline(page, context, "Saved after the backup, first")
    page.goto(f"{server.url}/caseload")  # still no signal: the phone's own caseload
    save_check_in_offline(page, context, "Saved after the backup, second")
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)  # acknowledged: the phone let go of them
    assert count(CheckIn, CheckIn.notes.like("Saved after the backup%")) == 2

    server.stop()
    backups.restore(backup)  # the practice restores last night's backup...
    assert count(CheckIn, CheckIn.notes.like("Saved after the backup%")) == 0
    server.start()  # ...and starts the app again
    amara = db.session.scalar(db.select(User).where(User.username == "amara"))
    assert amara is not None
    newcomer = Patient(id=uuid.uuid4(), given_name="Rhiannon", family_name="After-Restore",
                       date_of_birth=date(1971, 4, 5), link_worker_id=amara.id,
                       referral_reason="Moved to the area", needs=["loneliness"])  # fmt: skip
    newcomer_id = str(newcomer.id)
    db.session.add(newcomer)  # written on the server after the restore
    db.session.commit()  # and nothing read after it: on SQLite an open read holds the lock

    page.goto(f"{server.url}/caseload")  # the person simply opens the app again
    held = f"async () => Boolean(await ({STORE}).getRecord('{newcomer_id}'))"
    eventually(page, held, True, timeout=30)
    eventually(page, OUTBOX_SIZE, 0)
    for notes in ("Saved after the backup, first", "Saved after the backup, second"):
        assert count(CheckIn, CheckIn.notes == notes) == 1, notes
    # The restore ended every web session (the backup's would otherwise come back), so the
    # pages ask the person to sign in; the phone's token carried the records without them.
    page.get_by_role("heading", name="Sign in").wait_for()


def test_a_server_rebuilt_with_a_new_secret_still_gets_the_phones_records_back(
    app: Flask, server: Server, page: Any, context: Any, tmp_path: Path
) -> None:
    """A new machine, or a lost instance/ folder: the phone's cursor is refused (its signature
    was made with the old secret), and the phone sends back what the server lacks first."""
    sign_in_and_sync(page, server.url)
    backups = Backups(app, tmp_path)
    backup = backups.take()
    save_check_in_offline(page, context, "Saved before the rebuild")
    context.set_offline(False)
    eventually(page, OUTBOX_SIZE, 0)

    server.stop()
    backups.restore(backup)
    app.config["SECRET_KEY"] = "the rebuilt server's own secret"
    server.start()
    page.goto(f"{server.url}/caseload")  # signed out (the cookie's signature fails): sync goes on
    page.get_by_role("heading", name="Sign in").wait_for()
    eventually(page, f"async () => ({module('sync-client.mjs')}).syncNow()"
                     ".then((r) => r.ok)", True)  # fmt: skip
    assert count(CheckIn, CheckIn.notes == "Saved before the rebuild") == 1
