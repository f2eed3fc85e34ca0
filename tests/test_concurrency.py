"""Writers at once: a cursor never skips a record, and a read never waits for a writer.

The feed hands out records in change-number order, and a phone's cursor says "everything up to
here". That is safe only if numbers become visible in commit order: a number taken by a
transaction that commits late must not be passed by a reader who saw a higher one first
(pwa/models/base.py, `take_change_numbers`). Here several phones push at once through the real
sync path while an admin's phone pulls by cursor, and every commit is held back a random moment
after its numbers are final, which is where a design without that guarantee loses records.

And a request that only reads (a phone's sync with nothing to send and nothing new to audit,
a patient's sync, the app shell) runs while a writer holds the database: on SQLite it takes no
write lock (`pwa.database.reading`), and it never touches PostgreSQL's change counter.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, func, make_url, select, update
from sqlalchemy.orm import Session

from pwa.accounts import deactivate
from pwa.extensions import db
from pwa.measures import score_all
from pwa.models import CheckIn, Patient, User, base, change_counter, utcnow

from .conftest import PASSWORD, make_check_in, make_patient, make_user

WRITERS = 4
UCLA = {"ucla3": {"companionship": 2, "left_out": 3, "isolated": 2}}
SYNCS_EACH = 8


@pytest.fixture
def slow_commits() -> Iterator[None]:
    """Hold every writer's COMMIT back 0-30 ms, after the transaction's change numbers are
    final (this listener runs after the app's own, which gives them)."""

    def pause(session: Session) -> None:
        writer = threading.current_thread().name.startswith("writer")
        if writer and session.get_nested_transaction() is None:
            time.sleep(random.uniform(0, 0.03))  # noqa: S311

    event.listen(Session, "before_commit", pause)
    yield
    event.remove(Session, "before_commit", pause)


@pytest.fixture(params=["as_configured", "at_commit"])
def numbering(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with this database's own numbering, and again with provisional numbers
    given real ones at COMMIT (PostgreSQL's way), so SQLite tries that path too. Afterwards no
    row may keep a provisional (negative) number."""
    if request.param == "at_commit":
        monkeypatch.setattr(base, "numbers_wait_for_commit", lambda session: True)
    yield request.param
    db.session.rollback()  # read afresh
    for model in (Patient, CheckIn):
        assert (db.session.scalar(select(func.min(model.seq))) or 0) >= 0
        assert db.session.scalar(select(model.id).where(model.created_seq < 0)) is None


def enrol(app: Flask, user: User) -> str:
    response = app.test_client().post(
        "/api/v1/devices", json={"username": user.username, "password": PASSWORD, "name": "Phone"}
    )
    assert response.status_code == 201, response.json
    return str(response.json["token"])


def check_in(patient_id: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "checkin", "base_version": None,
            "data": {"patient_id": patient_id, "captured_at": "2026-11-20T10:30:00+00:00",
                     "source": "link_worker", "measures": UCLA}}  # fmt: skip


def test_a_cursor_never_passes_a_record_that_commits_late(
    app: Flask, worker: User, slow_commits: None, numbering: str
) -> None:
    patients = [str(make_patient(worker).id) for _ in range(WRITERS)]
    admin = make_user("admin")
    db.session.commit()
    writer_tokens = [enrol(app, worker) for _ in range(WRITERS)]
    reader_token = enrol(app, admin)
    acknowledged: set[str] = set()
    pulled: set[str] = set()
    failures: list[str] = []
    writing = threading.Event()
    writing.set()

    def push(token: str, patient_id: str) -> None:
        client, own_cursor = app.test_client(), None
        for _ in range(SYNCS_EACH):
            changes = [check_in(patient_id) for _ in range(random.randint(1, 3))]  # noqa: S311
            response = client.post("/api/v1/sync",
                                   json={"cursor": own_cursor, "changes": changes},
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            if response.status_code != 200:
                failures.append(f"push {response.status_code}")
                return
            failures.extend(r["status"] for r in response.json["results"]
                            if r["status"] != "applied")  # fmt: skip
            acknowledged.update(r["id"] for r in response.json["results"]
                                if r["status"] == "applied")  # fmt: skip
            own_cursor = response.json["cursor"]

    def pull_all(client: Any, cursor: str | None) -> str | None:
        while True:
            response = client.post("/api/v1/sync", json={"cursor": cursor, "changes": []},
                                   headers={"Authorization": f"Bearer {reader_token}"})  # fmt: skip
            if response.status_code != 200:
                failures.append(f"pull {response.status_code}")
                return cursor
            body = response.json
            pulled.update(e["id"] for e in body["changes"] if e["type"] == "checkin")
            cursor = body["cursor"]
            if not body["more"]:
                return cursor

    cursor: list[str | None] = [None]

    def read() -> None:
        client = app.test_client()
        while writing.is_set():
            cursor[0] = pull_all(client, cursor[0])

    db.session.commit()  # SQLite: this session's reads hold the lock the phones need
    reader = threading.Thread(target=read)
    pairs = enumerate(zip(writer_tokens, patients, strict=True))
    writers = [threading.Thread(target=push, args=pair, name=f"writer-{n}") for n, pair in pairs]
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    reader.join()
    pull_all(app.test_client(), cursor[0])  # the last word, after every writer has committed

    assert failures == []
    stored = {str(i) for i in db.session.scalars(select(CheckIn.id))}
    assert len(acknowledged) >= WRITERS * SYNCS_EACH
    assert stored == acknowledged
    assert pulled == stored, f"{len(stored - pulled)} records never reached the reader"


def test_giving_the_real_numbers_changes_nothing_else(worker: User, numbering: str) -> None:
    """The swap of provisional numbers is not a change to the record: a time written with it
    (a backfill, the demo's history) stays as written (found by CI: it became now)."""
    long_ago = utcnow() - timedelta(days=400)
    patient = make_patient(worker, created_at=long_ago, updated_at=long_ago)
    db.session.expire_all()
    assert (patient.created_at, patient.updated_at) == (long_ago, long_ago)


def new_patient(worker: User) -> Patient:
    patient = Patient(given_name="Order", family_name="Test", link_worker_id=worker.id,
                      referral_reason="test", status="active")  # fmt: skip
    db.session.add(patient)
    db.session.flush()
    return patient


def test_numbers_given_in_one_transaction_keep_their_order(worker: User, numbering: str) -> None:
    """A provisional number becomes a real one in the order it was given (PostgreSQL), so what
    is written later in a transaction is numbered later, as on SQLite."""
    first = new_patient(worker)
    with db.session.begin_nested():  # a SAVEPOINT's commit is not the transaction's
        second = new_patient(worker)
    savepoint = db.session.begin_nested()
    new_patient(worker)
    savepoint.rollback()  # its number is never used
    first.phone = "0113 496 0000"  # changed again after the second was written
    db.session.flush()
    db.session.commit()
    last = db.session.scalar(select(change_counter.c.value))
    assert 0 < first.created_seq < second.seq == second.created_seq < first.seq <= last
    assert first.scope_seq == first.created_seq  # entered the caseload when it was written
    assert db.session.scalar(select(Patient.id).where(Patient.seq <= 0)) is None


def test_a_writer_holds_the_change_counter_only_while_it_commits(app: Flask, worker: User) -> None:
    """On PostgreSQL a writer's transaction leaves the counter free until COMMIT, so another
    writer can take numbers meanwhile; on SQLite the write lock is the database's, from BEGIN,
    and the counter needs nothing of its own."""
    db.session.commit()
    new_patient(worker)  # written (flushed), not committed
    if db.engine.dialect.name == "sqlite":
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # the whole database is this writer's until COMMIT
        other.close()
    else:
        with db.engine.connect() as other:
            taken = other.execute(
                select(change_counter.c.value).with_for_update(nowait=True)
            ).scalar_one()  # NOWAIT: an error at once if the counter's row were locked
            assert taken >= 0
            other.rollback()
    db.session.commit()


def pull(client: Any, token: str, cursor: str | None = None) -> tuple[set[str], str | None]:
    """Pull every page after `cursor`; return the check-ins seen and the cursor after them."""
    seen: set[str] = set()
    while True:
        response = client.post("/api/v1/sync", json={"cursor": cursor, "changes": []},
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        seen |= {e["id"] for e in response.json["changes"] if e["type"] == "checkin"}
        cursor = response.json["cursor"]
        if not response.json["more"]:
            return seen, cursor


def test_a_record_numbered_first_but_committed_last_still_reaches_the_phone(
    app: Flask, patient: Patient, patient_user: User, worker: User, numbering: str
) -> None:
    """One writer has its numbers and holds its COMMIT; a second writer tries to commit after
    it; the patient's phone pulls in between, and again after both. The second must wait for
    the first (else the phone's cursor passes the first's number before it commits), and the
    pull in between must not wait for either."""
    patient_id, worker_id = patient.id, worker.id
    token = enrol(app, patient_user)
    db.session.commit()
    phone = app.test_client()
    _, cursor = pull(phone, token)  # the first sync, which notes when the phone last synced
    stamped, release = threading.Event(), threading.Event()
    written: dict[str, str] = {}

    def hold(session: Session) -> None:
        if session.info.get("hold") and session.get_nested_transaction() is None:
            stamped.set()
            release.wait(30)

    def write(name: str) -> None:
        with app.app_context():
            db.session.info["hold"] = name == "first"
            check_in = CheckIn(patient_id=patient_id, author_id=worker_id,
                               source="link_worker", captured_at=utcnow(), measures=UCLA,
                               scores=score_all(UCLA))  # fmt: skip
            db.session.add(check_in)
            db.session.flush()
            written[name] = str(check_in.id)
            db.session.commit()

    event.listen(Session, "before_commit", hold)
    try:
        first = threading.Thread(target=write, args=("first",))
        first.start()
        assert stamped.wait(10)
        second = threading.Thread(target=write, args=("second",))
        second.start()
        second.join(0.5)  # long enough for it to commit, if nothing made it wait
        between, cursor = pull(phone, token, cursor)  # while the first still holds its commit
        release.set()
        first.join()
        second.join()
    finally:
        release.set()
        event.remove(Session, "before_commit", hold)
    after, _ = pull(phone, token, cursor)
    assert set(written) == {"first", "second"}
    assert between == set()  # neither had committed
    assert between | after == set(written.values())


def hold_the_write_lock(database_url: str) -> Any:
    """Open a writer's transaction that has written and not committed: SQLite's write lock, and
    PostgreSQL's change counter row as a committing writer holds it."""
    if database_url.startswith("sqlite"):
        writer = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE change_counter SET value = value")
        return writer
    engine = create_engine(database_url)
    writer = engine.connect()
    writer.execute(update(change_counter).values(value=change_counter.c.value))
    return writer


@pytest.mark.parametrize("who", ["link_worker", "patient"])
def test_a_sync_with_nothing_to_send_never_waits_for_a_writer(
    app: Flask, patient: Patient, patient_user: User, worker: User, who: str
) -> None:
    user = worker if who == "link_worker" else patient_user
    make_check_in(patient, worker)
    token = enrol(app, user)
    db.session.commit()
    phone = app.test_client()
    held, cursor = pull(phone, token)  # sends the patient's records, audited for staff
    writer = hold_the_write_lock(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        again, _ = pull(phone, token, cursor)  # nothing new: it reads, and writes nothing
        # A patient's own records are never audited as a staff read: their whole pull reads.
        everything, _ = pull(phone, token) if who == "patient" else (held, None)
    finally:
        writer.rollback()
        writer.close()
    assert again == set()
    assert everything == held and held


@pytest.mark.parametrize("sends", [True, False], ids=["push", "pull"])
def test_a_phone_revoked_while_its_sync_is_under_way_stores_and_receives_nothing(
    app: Flask, worker: User, patient: Patient, sends: bool
) -> None:
    """An admin deactivates a link worker while the worker's phone syncs. The token is checked
    before the push takes the write lock, so the revocation can commit in between: the push
    asks again once it holds the lock, and a pull that read before the revocation committed
    asks again before its answer leaves, as it writes the audit of what it sends (found in
    review)."""
    token = enrol(app, worker)
    patient_id, worker_id = str(patient.id), worker.id
    db.session.commit()
    holding, done = threading.Event(), threading.Event()

    def deactivate_meanwhile() -> None:
        with app.app_context():
            deactivate(db.session.get(User, worker_id))
            db.session.flush()  # SQLite: the write lock is the admin's from here to COMMIT
            holding.set()
            time.sleep(0.5)  # the phone's request arrives, its token still good
            db.session.commit()
            done.set()

    admin = threading.Thread(target=deactivate_meanwhile)
    admin.start()
    assert holding.wait(10)
    sent = check_in(patient_id)
    response = app.test_client().post(
        "/api/v1/sync", json={"cursor": None, "changes": [sent] if sends else []},
        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    admin.join()
    assert done.is_set()
    assert response.status_code == 403 and response.json["error"]["code"] == "device_revoked"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert db.session.get(CheckIn, uuid.UUID(sent["id"])) is None


def test_a_patient_and_their_check_in_committed_mid_pull_both_reach_the_phone(
    app: Flask, worker: User, patient: Patient, numbering: str
) -> None:
    """A pull reads several statements. A writer commits a new patient and their check-in
    (numbered in that order) between the pull's first statement that looks for changes and
    the rest. If the positions came from more than one snapshot, the page could hold the
    check-in without its patient, and the cursor would pass the patient for good (found in
    review: at READ COMMITTED each statement sees the latest commits; fails on PostgreSQL with
    a statement per record type. SQLite's read transaction is one snapshot already.)"""
    token = enrol(app, worker)
    worker_id = worker.id
    db.session.commit()
    phone = app.test_client()
    received: set[str] = set()

    def pull_into(cursor: str | None) -> str | None:
        while True:
            response = phone.post("/api/v1/sync", json={"cursor": cursor, "changes": []},
                                  headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            received.update(entry["id"] for entry in response.json["changes"])
            cursor = response.json["cursor"]
            if not response.json["more"]:
                return cursor

    cursor = pull_into(None)
    written: dict[str, str] = {}

    def write_patient_and_check_in() -> None:
        with app.app_context():
            newcomer = Patient(given_name="Mid", family_name="Pull", link_worker_id=worker_id,
                               referral_reason="test", status="active")  # fmt: skip
            db.session.add(newcomer)
            db.session.flush()  # numbered first
            check_in = CheckIn(patient_id=newcomer.id, author_id=worker_id,
                               source="link_worker", captured_at=utcnow(), measures=UCLA,
                               scores=score_all(UCLA))  # fmt: skip
            db.session.add(check_in)
            db.session.commit()
            written.update(patient=str(newcomer.id), check_in=str(check_in.id))

    armed = [True]
    main = threading.current_thread()

    def between_statements(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if armed[0] and threading.current_thread() is main and "LIMIT" in statement:
            armed[0] = False  # the pull's first look for changes has run: now the writer
            writer = threading.Thread(target=write_patient_and_check_in)
            writer.start()
            writer.join(30)

    event.listen(db.engine, "after_cursor_execute", between_statements)
    try:
        cursor = pull_into(cursor)
    finally:
        event.remove(db.engine, "after_cursor_execute", between_statements)
    assert not armed[0] and set(written) == {"patient", "check_in"}
    pull_into(cursor)
    assert {written["patient"], written["check_in"]} <= received


def test_phones_adding_one_nhs_number_at_once_store_it_once(app: Flask, worker: User) -> None:
    """The NHS number is checked, then the patient inserted: two phones at once must be
    checked one after the other (PostgreSQL: a lock on the number; SQLite: the write lock)."""
    tokens = [enrol(app, worker) for _ in range(4)]
    db.session.commit()
    start = threading.Barrier(len(tokens))
    statuses: list[str] = []

    def add(token: str) -> None:
        change = {"id": str(uuid.uuid4()), "type": "patient", "base_version": None,
                  "data": {"given_name": "Nia", "family_name": "Cole", "nhs_number": "9434765919",
                           "referral_reason": "Lonely", "consent_to_contact": True}}  # fmt: skip
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/sync", json={"cursor": None, "changes": [change]},
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        result = response.json["results"][0] if response.status_code == 200 else {}
        statuses.append(f"{result.get('status')}:{result.get('code')}")

    threads = [threading.Thread(target=add, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == ["applied:None"] + ["rejected:validation_failed"] * 3
    stored = db.session.scalars(select(Patient.id).where(Patient.nhs_number == "9434765919"))
    assert len(list(stored)) == 1
