"""A server restored from a backup loses nothing the phones hold, and every phone gets what is
written after the restore, with nobody doing anything on the phones (pwa/sync/restore.py).

Backups are real: SQLite's online backup API through `flask backup` / `flask restore`, or on
PostgreSQL `pg_dump` / `pg_restore` then `flask restored`, as the README tells a practice.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pwa.extensions import db
from pwa.models import CheckIn, FollowUp, Patient, SyncReview, User, change_counter

from .conftest import PASSWORD
from .test_sync_protocol import Phone

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


class RestoringPhone(Phone):
    """The app's sync client (sync-client.mjs) in miniature, with its recovery after a restore."""

    def __init__(self, client: FlaskClient, token: str, role: str = "link_worker") -> None:
        super().__init__(client, token)
        self.role = role
        self.restores_seen = 0

    def sync(self, lose_response: bool = False) -> None:
        probe = self.client.post("/api/v1/sync", json={"cursor": self.cursor, "changes": []},
                                 headers=self.auth())  # fmt: skip
        if probe.status_code in (400, 409):  # a new history, or a cursor it cannot read
            assert probe.json["error"]["code"] in ("server_restored", "invalid_cursor")
            self.recover()
        super().sync(lose_response)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def recover(self) -> None:
        """As recoverAfterRestore and sendAgain do on the phone."""
        self.restores_seen += 1
        held = [{"id": i, "type": r["type"],
                 "version": self.outbox[i]["base_version"] if i in self.outbox else r["version"]}
                for i, r in self.records.items()
                if (self.role == "patient") == (
                    r["type"] == "checkin" and r["data"].get("source") == "self")]  # fmt: skip
        answer = self.client.post("/api/v1/sync/held", json={"records": held},
                                  headers=self.auth())  # fmt: skip
        assert answer.status_code == 200, answer.json
        base = dict.fromkeys(answer.json["missing"])
        base |= {entry["id"]: entry["version"] for entry in answer.json["behind"]}

        def rank(i: str) -> int:
            record = self.records[i]
            if record["type"] == "patient":
                return 0
            return 2 if record["type"] != "checkin" else 3 if record["data"].get("amends") else 1

        for record_id in sorted(base, key=rank):
            record = self.records[record_id]
            waiting = self.outbox.pop(record_id, None)
            data = waiting["data"] if waiting else record["data"]
            self.outbox[record_id] = {"id": record_id, "type": record["type"],
                                      "base_version": base[record_id], "data": data,
                                      "sent_back": True}  # fmt: skip
        self.cursor = None


def enrol(client: FlaskClient, username: str) -> str:
    response = client.post("/api/v1/devices", json={"username": username, "password": PASSWORD,
                                                   "name": "Phone"})  # fmt: skip
    assert response.status_code == 201, response.json
    return str(response.json["token"])


def check_in(patient_id: str, notes: str, **extra: Any) -> dict[str, Any]:
    return {"patient_id": patient_id, "captured_at": datetime.now(UTC).isoformat(),
            "measures": {"ucla3": {"companionship": 2, "left_out": 2, "isolated": 1}},
            "notes": notes, **extra}  # fmt: skip


class Backups:
    """Back up and restore the test's database as the README says to."""

    def __init__(self, app: Flask, tmp_path: Path) -> None:
        self.app, self.folder = app, tmp_path

    def take(self) -> Path:
        db.session.commit()
        if ON_POSTGRES:
            path = self.folder / "backup.dump"
            subprocess.run(["pg_dump", "-Fc", "-f", str(path), _libpq_url()], check=True)  # noqa: S603, S607
            return path
        path = self.folder / "backup.sqlite3"
        result = self.app.test_cli_runner().invoke(args=["backup", str(path)])
        assert result.exit_code == 0, result.output
        return path

    def restore(self, path: Path) -> None:
        db.session.remove()
        db.engine.dispose()
        runner = self.app.test_cli_runner()
        if ON_POSTGRES:
            subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",  # noqa: S603, S607
                            "-d", _libpq_url(), str(path)], check=True)  # fmt: skip
            result = runner.invoke(args=["restored"])
        else:
            result = runner.invoke(args=["restore", "--yes", str(path)])
        assert result.exit_code == 0, result.output


def _libpq_url() -> str:
    return os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def backups(app: Flask, tmp_path: Path) -> Backups:
    if ON_POSTGRES and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    return Backups(app, tmp_path)


def count(model: Any, *where: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_phones_bring_back_what_a_restore_lost_and_get_what_came_after(
    app: Flask, client: FlaskClient, backups: Backups, worker: User, patient: Patient,
    patient_user: User,
) -> None:  # fmt: skip
    """Several phones, and a restore that happened while they were offline."""
    phone = RestoringPhone(client, enrol(client, "amara"))
    tablet = RestoringPhone(client, enrol(client, "amara"))
    own = RestoringPhone(client, enrol(client, "pat"), role="patient")
    for device in (phone, tablet, own):
        device.sync()
    backup = backups.take()

    # After the backup: the phone adds a patient and check-ins; the tablet pulls them; the
    # patient checks in from their own phone. All acknowledged: gone from every outbox.
    # The objects do not outlive the restore.
    pid, worker_id, patient_user_id = str(patient.id), worker.id, patient_user.id
    new_patient = str(uuid.uuid4())
    phone.queue(new_patient, "patient", {"given_name": "Nia", "family_name": "Restored",
                                         "date_of_birth": "1960-02-03"})  # fmt: skip
    written = {str(uuid.uuid4()): f"After the backup {n}" for n in range(3)}
    for record_id, notes in written.items():
        phone.queue(record_id, "checkin", check_in(pid, notes))
    phone.queue(str(uuid.uuid4()), "checkin", check_in(new_patient, "For the new patient"))
    phone.sync()
    tablet.sync()
    own_check_in = str(uuid.uuid4())
    own.queue(own_check_in, "checkin", check_in(pid, "My own, after the backup"))
    own.sync()
    # A change to a record the backup has, acknowledged: the server's copy moves on to v2.
    phone.queue(pid, "patient", phone.records[pid]["data"] | {"phone": "07700 900123"})
    phone.sync()
    assert not phone.outbox and not own.outbox
    assert count(CheckIn) == 5
    # And one the tablet made with no signal, still waiting when the server went back: an
    # edit of the patient the backup never had.
    tablet.queue(new_patient, "patient", tablet.records[new_patient]["data"] | {
        "needs": ["housing"]})  # fmt: skip

    backups.restore(backup)  # the server forgets all of that
    assert count(CheckIn) == 0 and count(Patient, Patient.id == uuid.UUID(new_patient)) == 0
    after = FollowUp(id=uuid.uuid4(), patient_id=uuid.UUID(pid), kind="visit",
                     due_at=datetime.now(UTC) + timedelta(days=2),
                     assigned_to_id=worker_id)  # fmt: skip
    db.session.add(after)  # written on the server after the restore
    db.session.commit()

    for device in (phone, tablet, own):  # the worker's phones first: they hold her check-in too
        device.sync()
    for device in (tablet, phone, own):
        device.sync()  # and again: nothing more happens
    assert [d.restores_seen for d in (phone, tablet, own)] == [1, 1, 1]

    # Every record the phones held is back, exactly once; the patient's phone sent back only
    # its own check-in, and the server's later follow-up reached every phone.
    assert count(CheckIn) == 5
    for notes in [*written.values(), "For the new patient", "My own, after the backup"]:
        assert count(CheckIn, CheckIn.notes == notes) == 1, notes
    assert count(Patient, Patient.id == uuid.UUID(new_patient)) == 1
    mine = db.session.get(CheckIn, uuid.UUID(own_check_in))
    assert mine is not None and mine.source == "self" and mine.author_id == patient_user_id
    restored_patient = db.session.get(Patient, uuid.UUID(pid))
    assert restored_patient is not None and restored_patient.phone == "07700 900123"
    newcomer = db.session.get(Patient, uuid.UUID(new_patient))
    assert newcomer is not None and newcomer.needs == ["housing"]  # the tablet's waiting edit
    follow_up_id = str(after.id)
    for device in (phone, tablet, own):
        assert follow_up_id in device.records
        assert not device.outbox
    server_ids = {str(i) for i in db.session.scalars(select(CheckIn.id))}
    assert {i for i, r in phone.records.items() if r["type"] == "checkin"} == server_ids


def test_a_restore_nobody_marked_is_noticed_while_the_server_is_behind(
    app: Flask, client: FlaskClient, backups: Backups, worker: User, patient: Patient
) -> None:
    phone = RestoringPhone(client, enrol(client, "amara"))
    phone.sync()
    db.session.commit()
    before = db.session.scalar(select(change_counter.c.value))
    phone.queue(str(uuid.uuid4()), "checkin", check_in(str(patient.id), "Lost unless resent"))
    phone.sync()
    # Put the counter back as a restore nobody told us about would (the epoch unchanged).
    db.session.execute(change_counter.update().values(value=before))
    db.session.execute(CheckIn.__table__.delete())
    db.session.commit()
    phone.sync()
    assert phone.restores_seen == 1
    assert count(CheckIn, CheckIn.notes == "Lost unless resent") == 1


def test_the_held_question_answers_only_what_the_caller_could_send_back(
    client: FlaskClient, worker: User, patient: Patient, patient_user: User
) -> None:
    token = enrol(client, "pat")
    gone = [
        {"id": str(uuid.uuid4()), "type": kind}
        for kind in ("patient", "checkin", "followup", "referral")
    ]
    present = [{"id": str(patient.id), "type": "patient"}]
    gone_asset = [{"id": str(uuid.uuid4()), "type": "asset"}]  # held, never sent back
    answer = client.post("/api/v1/sync/held", json={"records": gone + present + gone_asset},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    # A patient's phone may only create check-ins, and changes nothing once sent.
    assert answer.json == {"missing": [gone[1]["id"]], "behind": []}
    staff = enrol(client, "amara")
    answer = client.post("/api/v1/sync/held", json={"records": gone + present + gone_asset},
                         headers={"Authorization": f"Bearer {staff}"})  # fmt: skip
    assert sorted(answer.json["missing"]) == sorted(r["id"] for r in gone)


def test_behind_is_said_only_of_records_the_callers_phone_may_hold_and_change(
    client: FlaskClient, worker: User, patient: Patient, others_patient: Patient
) -> None:
    token = enrol(client, "amara")
    ahead = [{"id": str(p.id), "type": "patient", "version": 9} for p in (patient, others_patient)]
    answer = client.post("/api/v1/sync/held", json={"records": ahead},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.json == {"missing": [], "behind": [{"id": str(patient.id), "version": 1}]}
    level = [{"id": str(patient.id), "type": "patient", "version": 1}]
    answer = client.post("/api/v1/sync/held", json={"records": level},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.json == {"missing": [], "behind": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"records": "x"}, {"records": [{"id": "not-a-uuid", "type": "checkin"}]},
     {"records": [{"id": str(uuid.uuid4()), "type": "x" * 41}]},
     {"records": [{"id": str(uuid.uuid4()), "type": "patient", "version": 0}]},
     {"records": [{"id": str(uuid.uuid4()), "type": "patient", "version": True}]},
     {"records": [{"id": str(uuid.uuid4()), "type": "checkin"}] * 501}],
)  # fmt: skip
def test_a_bad_held_question_is_a_422(client: FlaskClient, worker: User, body: Any) -> None:
    token = enrol(client, "amara")
    answer = client.post("/api/v1/sync/held", json=body,
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 422


def test_the_held_question_needs_a_device_token(client: FlaskClient) -> None:
    assert client.post("/api/v1/sync/held", json={"records": []}).status_code == 401


def test_a_cursor_from_before_epochs_is_still_read(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    """Phones that synced before this version carry v3 cursors: they carry on, no restore."""
    from pwa.sync.feed import Position

    phone = RestoringPhone(client, enrol(client, "amara"))
    phone.cursor = Position(0, -1, "").encode()  # v3: no epoch
    phone.sync()
    assert phone.restores_seen == 0 and str(patient.id) in phone.records


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own backup command")
class TestTheCommands:
    def test_a_backup_is_a_new_file_only_its_owner_reads(
        self, app: Flask, tmp_path: Path, worker: User
    ) -> None:
        runner = app.test_cli_runner()
        path = tmp_path / "b.sqlite3"
        assert runner.invoke(args=["backup", str(path)]).exit_code == 0
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        import sqlite3

        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as reading:
            assert reading.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        beside = {p.name for p in tmp_path.iterdir() if p.name.startswith("b.sqlite3")}
        assert beside == {"b.sqlite3"}  # one file, whole: no -wal, -shm or .partial
        again = runner.invoke(args=["backup", str(path)])
        assert again.exit_code != 0 and "already exists" in again.output

    def test_restore_refuses_what_is_not_a_backup_of_this_app(
        self, app: Flask, tmp_path: Path, worker: User
    ) -> None:
        junk = tmp_path / "junk.sqlite3"
        junk.write_text("not a database at all")
        result = app.test_cli_runner().invoke(args=["restore", "--yes", str(junk)])
        assert result.exit_code != 0 and "not a SQLite database" in result.output
        db.session.remove()
        assert count(User, User.username == "amara") == 1  # untouched

    def test_restore_checks_the_backup_before_touching_the_live_database(
        self, app: Flask, tmp_path: Path, worker: User
    ) -> None:
        import sqlite3

        runner = app.test_cli_runner()
        folder = tmp_path / "night#2"  # a '#' once cut the path short and restored nothing
        folder.mkdir()
        only_counter = folder / "counter.sqlite3"
        with sqlite3.connect(only_counter) as other:
            other.execute("CREATE TABLE change_counter (id INTEGER, value INTEGER)")
        result = runner.invoke(args=["restore", "--yes", str(only_counter)])
        assert result.exit_code != 0 and "not a backup of this app" in result.output
        good = folder / "good.sqlite3"
        assert runner.invoke(args=["backup", str(good)]).exit_code == 0
        result = runner.invoke(args=["restore", "--yes", str(good)])
        assert result.exit_code == 0, result.output
        kept = list(Path(db.engine.url.database or "").parent.glob("*.before-restore-*"))
        assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
        assert count(User, User.username == "amara") == 1

    def test_a_backup_into_a_missing_folder_is_a_clear_error(
        self, app: Flask, tmp_path: Path, worker: User
    ) -> None:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "b.db")])
        assert result.exit_code != 0 and "Could not write" in result.output
        assert not (tmp_path / "no").exists()

    def test_restored_renames_the_history(self, app: Flask, worker: User) -> None:
        before = db.session.scalar(select(change_counter.c.epoch))
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["restored"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        assert db.session.scalar(select(change_counter.c.epoch)) != before


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only")
def test_the_backup_command_points_postgresql_at_pg_dump(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code != 0 and "pg_dump" in result.output


def test_a_server_rebuilt_with_a_new_secret_gets_back_what_the_phone_holds(
    app: Flask, client: FlaskClient, backups: Backups, worker: User, patient: Patient,
    app_config: dict[str, Any],
) -> None:  # fmt: skip
    """A new machine, or a lost instance/ folder: old cursors cannot be read (400), so the phone
    sends back what the server lacks before it pulls again, as after a marked restore."""
    from pwa import create_app

    phone = RestoringPhone(client, enrol(client, "amara"))
    phone.sync()
    backup = backups.take()
    phone.queue(str(uuid.uuid4()), "checkin", check_in(str(patient.id), "Before the rebuild"))
    phone.sync()
    backups.restore(backup)
    rebuilt = create_app(app_config | {"SECRET_KEY": "a new machine's secret"})
    phone.client = rebuilt.test_client()
    phone.sync()
    assert phone.restores_seen == 1
    assert count(CheckIn, CheckIn.notes == "Before the rebuild") == 1


def test_a_restore_ends_every_web_session(app: Flask, client: FlaskClient, worker: User) -> None:
    """The backup holds sessions signed out since: none of them may work again."""
    from .conftest import sign_in

    assert sign_in(client, worker).status_code == 302
    assert client.get("/caseload").status_code == 200
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["restored"]).exit_code == 0
    assert client.get("/caseload").status_code == 302


def test_a_record_sent_back_for_a_patient_who_moved_since_the_backup_is_kept_for_an_admin(
    app: Flask, client: FlaskClient, backups: Backups, worker: User, other_worker: User,
    patient: Patient,
) -> None:  # fmt: skip
    """Reassigned to Ben after the backup: the restored server has her with Amara again, so
    Ben's check-in for her is refused, but it may be the only copy: an admin sees it."""
    pid = str(patient.id)
    backup = backups.take()
    patient.link_worker_id = other_worker.id
    db.session.commit()
    ben = RestoringPhone(client, enrol(client, "ben"))
    ben.sync()
    written = str(uuid.uuid4())
    ben.queue(written, "checkin", check_in(pid, "Ben's visit, after the backup"))
    ben.sync()
    cursor, token = ben.cursor, ben.token
    backups.restore(backup)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/sync", json={"cursor": cursor, "changes": []},
                       headers=headers).status_code in (401, 409)  # fmt: skip
    token = enrol(client, "ben")  # his phone was enrolled after the backup: he signs in again
    headers = {"Authorization": f"Bearer {token}"}
    held = [{"id": i, "type": r["type"], "version": r["version"]} for i, r in ben.records.items()]
    missing = client.post("/api/v1/sync/held", json={"records": held}, headers=headers).json
    assert written in missing["missing"]
    change = {"id": written, "type": "checkin", "base_version": None,
              "data": ben.records[written]["data"], "sent_back": True}  # fmt: skip
    result = client.post("/api/v1/sync", json={"cursor": None, "changes": [change]},
                         headers=headers).json["results"][0]  # fmt: skip
    assert result["status"] == "rejected", result
    kept = db.session.scalars(select(SyncReview).where(SyncReview.record_id == written))
    assert len(list(kept)) == 1, result


@pytest.mark.parametrize("flag", ["yes", 1, None, {"x": 1}])
def test_a_sent_back_flag_that_is_not_true_or_false_is_refused_not_a_500(
    client: FlaskClient, worker: User, patient: Patient, flag: Any
) -> None:
    token = enrol(client, "amara")
    change = {"id": str(uuid.uuid4()), "type": "checkin", "base_version": None,
              "data": check_in(str(patient.id), "x"), "sent_back": flag}  # fmt: skip
    answer = client.post("/api/v1/sync", json={"cursor": None, "changes": [change]},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200
    result = answer.json["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "invalid_change")
    assert "sent_back" in result["errors"]
