"""Many phones syncing at once against the app under gunicorn, on loopback, and a check at the end
that every record the server acknowledged is stored exactly once.

    python bench/load.py --phones 50                       # SQLite in a temporary folder
    python bench/load.py --phones 150 --database-url postgresql+psycopg://user:pass@host/db
    python bench/load.py --phones 300 --scenarios morning,day --workers 4
    python bench/load.py --phones 150 --servers 2 --database-url postgresql+psycopg://...

Each phone is a link worker with a 40-patient caseload (bench/sync_bench.py's area, two
check-ins each) and a device token, run as one thread with its own keep-alive connection:

- morning:  every phone does its first sync (cursor null, page after page) within --ramp seconds;
- day:      every phone syncs every 10 s (jittered), sending 0-5 new check-ins each time;
- busy:     every phone syncs every 0.5-1.5 s, sending 1-20 new check-ins each time;
- capacity: no think time: each phone sends 1-20 new check-ins and pulls, again and again.

In the same run, a bare Flask endpoint that inserts one row per request (bench/bare_app.py, same
gunicorn settings, same database) is driven as hard by as many threads for as long: the ratio of
the app's syncs per second to it is honest on a noisy machine, since both saw the same machine.

With --servers 2 (or more), as many app servers run as separate gunicorn processes on their own
ports, sharing the database and the instance folder (the secret key), the --workers split
between them; phone i talks to server i mod N. Exactly-once is checked the same way.

Bounded: loopback only, a fixed number of phones and seconds. The load generator runs on the same
2 cores as the server; its own JSON and HTTP work is part of what is measured, as it says.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from sync_bench import ANSWERS, build_area

from pwa import create_app
from pwa.devices import enrol_device
from pwa.extensions import db
from pwa.models import CheckIn, Patient, User

ROOT = Path(__file__).parent.parent
THINK_DAY = 10.0


@dataclass
class Phone:
    token: str
    patients: list[str]
    cursor: str | None = None
    sent: set[str] = field(default_factory=set)  # acknowledged: applied or duplicate


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, seconds: float) -> None:
        with self.lock:
            self.times.append(seconds)

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def seed(url: str, phones: int) -> list[Phone]:
    """The area, one device token per link worker, and their patients' ids."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        build_area(phones, 40, 0, 2)
        found = []
        for user in db.session.scalars(db.select(User).where(User.role == "link_worker")):
            _, token = enrol_device(user, "load")
            patients = db.session.scalars(
                db.select(Patient.id).where(Patient.link_worker_id == user.id)
            )
            found.append(Phone(token, [str(p) for p in patients]))
        db.session.commit()
        db.engine.dispose()
    return found


def serve(app_spec: str, url: str, port: int, workers: int, folder: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PWA_INSTANCE_PATH": folder, "DATABASE_URL": url,
           "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
           "GUNICORN_ACCESS_LOG": "/dev/null", "BARE_DATABASE_URL": url}  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 - this interpreter, the repository's config
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{app_spec} did not start on port {port}")


def new_check_in(patient_id: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "checkin", "base_version": None,
            "data": {"patient_id": patient_id, "captured_at": datetime.now(UTC).isoformat(),
                     "measures": ANSWERS, "needs": [], "notes": ""}}  # fmt: skip


def sync_once(conn: http.client.HTTPConnection, phone: Phone, count: int, tally: Tally) -> None:
    """One sync as the phone makes it: send `count` new check-ins, pull until nothing is left."""
    changes = [new_check_in(random.choice(phone.patients)) for _ in range(count)]  # noqa: S311
    started = time.monotonic()
    while True:
        body = json.dumps({"cursor": phone.cursor, "changes": changes})
        try:
            headers = {"Content-Type": "application/json",
                       "Authorization": f"Bearer {phone.token}"}  # fmt: skip
            conn.request("POST", "/api/v1/sync", body, headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as problem:
            conn.close()
            tally.fail(type(problem).__name__)
            return  # the changes stay unacknowledged: never counted as stored
        if response.status != 200:
            tally.fail(f"HTTP {response.status}")
            return
        reply = json.loads(answer)
        for result in reply["results"]:
            if result["status"] in ("applied", "duplicate"):
                phone.sent.add(result["id"])
        phone.cursor = reply["cursor"]
        changes = []
        if not reply["more"]:
            break
    tally.add(time.monotonic() - started)


def run_phones(phones: list[Phone], ports: list[int], seconds: float,
               plan: Callable[[int, Phone, http.client.HTTPConnection, Tally, float], None],
               ) -> Tally:  # fmt: skip
    tally = Tally()
    stop_at = time.monotonic() + seconds

    def one(index: int, phone: Phone) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=60)
        plan(index, phone, conn, tally, stop_at)
        conn.close()

    threads = [threading.Thread(target=one, args=(i, p), daemon=True) for i, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return tally


def morning(ramp: float) -> Callable[..., None]:
    def plan(index: int, phone: Phone, conn: Any, tally: Tally, stop_at: float) -> None:
        time.sleep(random.uniform(0, ramp))  # noqa: S311
        phone.cursor = None
        sync_once(conn, phone, 0, tally)

    return plan


def day(index: int, phone: Phone, conn: Any, tally: Tally, stop_at: float) -> None:
    time.sleep(random.uniform(0, THINK_DAY))  # noqa: S311 - phones wake at different moments
    while time.monotonic() < stop_at:
        sync_once(conn, phone, random.randint(0, 5), tally)  # noqa: S311
        time.sleep(THINK_DAY * random.uniform(0.8, 1.2))  # noqa: S311


def busy(index: int, phone: Phone, conn: Any, tally: Tally, stop_at: float) -> None:
    """The issue's harder day: a sync every 0.5-1.5 s, each with 1-20 new check-ins."""
    time.sleep(random.uniform(0, 1.5))  # noqa: S311
    while time.monotonic() < stop_at:
        sync_once(conn, phone, random.randint(1, 20), tally)  # noqa: S311
        time.sleep(random.uniform(0.5, 1.5))  # noqa: S311


def capacity(index: int, phone: Phone, conn: Any, tally: Tally, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        sync_once(conn, phone, random.randint(1, 20), tally)  # noqa: S311


def bare(port: int, clients: int, seconds: float) -> float:
    """Requests per second the bare insert endpoint answers, as hard as `clients` can ask."""
    done = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop_at:
            try:
                conn.request("POST", "/bare", b"{}", {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()  # a sync worker closed it: the next request opens another
                continue
            if response.status == 200:
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=one, daemon=True) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return done[0] / (time.monotonic() - started)


def exactly_once(url: str, phones: list[Phone]) -> tuple[int, int]:
    """(acknowledged, stored of those): every acknowledged check-in must be stored, once."""
    acknowledged = {record for phone in phones for record in phone.sent}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        stored = 0
        ids = [uuid.UUID(i) for i in acknowledged]
        for start in range(0, len(ids), 500):
            stored += (
                db.session.scalar(
                    db.select(db.func.count(CheckIn.id)).where(
                        CheckIn.id.in_(ids[start : start + 500])
                    )
                )
                or 0
            )
        # The ceiling's table is the bench's own: gone, so the database is as it was seeded.
        db.session.execute(db.text("DROP TABLE IF EXISTS bench_bare"))
        db.session.commit()
        db.engine.dispose()
    return len(acknowledged), stored


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--scenarios", default="morning,day,busy,capacity")
    parser.add_argument("--seconds", type=float, default=30, help="for day and capacity")
    parser.add_argument("--ramp", type=float, default=60, help="morning: first syncs within this")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--servers", type=int, default=1, help="app servers sharing the database")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="load-")
    os.environ["PWA_INSTANCE_PATH"] = folder  # the secret key and the SQLite file live here
    url = args.database_url or f"sqlite:///{folder}/load.sqlite3"
    database = url.split(":")[0].split("+")[0]
    phones = seed(url, args.phones)
    app_port, bare_port = 8731, 8732
    rows = []
    # The ceiling first, on the database as seeded: the same machine, the same settings.
    with create_app({"SQLALCHEMY_DATABASE_URI": url}).app_context():  # its table, made once
        db.session.execute(db.text("CREATE TABLE IF NOT EXISTS bench_bare (id VARCHAR(36) "
                                   "PRIMARY KEY, at TIMESTAMP NOT NULL)"))  # fmt: skip
        db.session.commit()
        db.engine.dispose()
    bare_server = serve("bench.bare_app:app", url, bare_port, args.workers, folder)
    try:
        ceiling = bare(bare_port, min(args.phones, 50), args.seconds)
    finally:
        bare_server.terminate()
        bare_server.wait(30)
    ports = [app_port + 10 * n for n in range(args.servers)]
    each = max(1, -(-args.workers // args.servers))  # the same workers in all, split
    servers = [serve("pwa:create_app()", url, port, each, folder) for port in ports]
    try:
        for name in args.scenarios.split(","):
            plan = {"morning": morning(args.ramp), "day": day, "busy": busy,
                    "capacity": capacity}[name]  # fmt: skip
            seconds = args.ramp if name == "morning" else args.seconds
            started = time.monotonic()
            tally = run_phones(phones, ports, seconds, plan)
            took = time.monotonic() - started
            rows.append((name, len(tally.times), len(tally.times) / took,
                         percentile(tally.times, 0.5), percentile(tally.times, 0.95),
                         percentile(tally.times, 0.99), sum(tally.errors.values()),
                         tally.errors))  # fmt: skip
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
    acknowledged, stored = exactly_once(url, phones)
    across = f"{args.servers} app servers of {each}" if args.servers > 1 else f"{args.workers}"
    print(f"{database}, {args.phones} phones, gunicorn {across} sync workers, "
          f"{os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")  # fmt: skip
    print("| scenario | syncs | syncs/s | p50 s | p95 s | p99 s | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, count, rate, p50, p95, p99, errors, kinds in rows:
        said = f"{errors} {kinds}" if errors else "0"
        print(f"| {name} | {count} | {rate:.1f} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {said} |")
    print(f"bare insert endpoint, same server settings: {ceiling:.0f} req/s"
          + "".join(f"; {name} at {rate / ceiling:.0%} of it" for name, _, rate, *_ in rows
                    if name == "capacity"))  # fmt: skip
    verdict = "exactly once" if stored == acknowledged else "LOST RECORDS"
    print(f"acknowledged check-ins: {acknowledged}, stored: {stored}: {verdict}")
    if stored != acknowledged:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
