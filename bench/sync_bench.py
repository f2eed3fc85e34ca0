"""Measure the sync API against a whole area's data, and against a tenth of it.

    python bench/sync_bench.py                      # SQLite in a temporary folder
    python bench/sync_bench.py --database-url postgresql+psycopg://user:pass@host/db

A whole area: 100 link workers, each with 40 active and 400 past patients of 20 check-ins each
(about 880,000 check-ins). Prints, for the full data and for a tenth: pushing 1,000 check-ins from
one phone in batches of 500 beside the same rows bulk-inserted straight into the database, a first
sync (cursor null) of one worker's caseload, and an incremental sync with nothing new. Times are
in-process server time (Flask test client, no network), the median of a few runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update

from pwa import create_app
from pwa.extensions import db
from pwa.measures import score_all
from pwa.models import CheckIn, CommunityAsset, Patient, User, change_counter
from pwa.passwords import hash_password

ANSWERS = {"ucla3": {"companionship": 2, "left_out": 2, "isolated": 3}}
SCORES = score_all(ANSWERS)
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def build_area(workers: int, active: int, past: int, check_ins: int) -> User:
    """Fill the database with straight bulk inserts; return one link worker to sync as."""
    password = hash_password("bench password")
    seq = 0
    users = [{"id": uuid.uuid4(), "username": f"worker{i}", "display_name": f"Worker {i}",
              "role": "link_worker", "password_hash": password, "active": True,
              "created_at": NOW} for i in range(workers)]  # fmt: skip
    db.session.execute(insert(User), users)
    assets = []
    for i in range(20):
        seq += 1
        assets.append(
            {
                "id": uuid.uuid4(),
                "version": 1,
                "seq": seq,
                "created_seq": seq,
                "name": f"Asset {i}",
                "category": "social_groups",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    db.session.execute(insert(CommunityAsset), assets)
    for user in users:
        patients, rows = [], []
        for n in range(active + past):
            seq += 1
            pid = uuid.uuid4()
            patients.append(
                {
                    "id": pid,
                    "version": 1,
                    "seq": seq,
                    "created_seq": seq,
                    "scope_seq": seq,
                    "given_name": "P",
                    "family_name": str(n),
                    "needs": ["loneliness"],
                    "link_worker_id": user["id"],
                    "referral_reason": "",
                    "status": "active" if n < active else "discharged",
                    "consent_to_contact": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            for k in range(check_ins):
                seq += 1
                at = NOW - timedelta(days=14 * k)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "version": 1,
                        "seq": seq,
                        "created_seq": seq,
                        "patient_id": pid,
                        "author_id": user["id"],
                        "source": "link_worker",
                        "captured_at": at,
                        "captured_utc_offset": 0,
                        "received_at": at,
                        "measures": ANSWERS,
                        "scores": SCORES,
                        "needs": [],
                        "notes": "",
                        "created_at": at,
                        "updated_at": at,
                    }
                )
        db.session.execute(insert(Patient), patients)
        db.session.execute(insert(CheckIn), rows)
    db.session.execute(update(change_counter).values(value=seq))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # A live database has been vacuumed and analysed; a freshly bulk-loaded one has not,
        # and autovacuum would otherwise do it in the middle of the measurements.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    return db.session.scalar(db.select(User).where(User.username == "worker0"))


def median_ms(run: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(url: str, scale: float) -> dict[str, float]:
    workers = max(1, round(100 * scale))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "TEMPLATE_CACHE_DIR": None})  # fmt: skip
    figures: dict[str, float] = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        worker = build_area(workers, active=40, past=400, check_ins=20)
        figures["build_s"] = time.perf_counter() - start
        figures["check_ins"] = db.session.scalar(db.select(db.func.count(CheckIn.id)))
        patient_ids = list(db.session.scalars(db.select(Patient.id).where(
            Patient.link_worker_id == worker.id, Patient.status == "active")))  # fmt: skip
        worker_id = worker.id
        db.session.commit()

    client = app.test_client()
    from pwa.devices import enrol_device

    with app.app_context():
        _, token = enrol_device(db.session.get(User, worker_id), "bench phone")
        db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}

    def post(body: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/api/v1/sync", json=body, headers=auth)
        assert response.status_code == 200, response.json
        return response.json

    def first_sync() -> str:
        cursor = None
        while True:
            body = post({"cursor": cursor, "changes": []})
            cursor = body["cursor"]
            if not body["more"]:
                return cursor

    figures["first_sync_ms"] = median_ms(first_sync)
    cursor = first_sync()
    figures["incremental_ms"] = median_ms(lambda: post({"cursor": cursor, "changes": []}), 20)

    def changes(n: int) -> list[dict[str, Any]]:
        return [{"id": str(uuid.uuid4()), "type": "checkin", "base_version": None,
                 "data": {"patient_id": str(patient_ids[i % len(patient_ids)]),
                          "captured_at": "2026-11-20T10:00:00+00:00", "measures": ANSWERS,
                          "needs": [], "notes": "bench"}} for i in range(n)]  # fmt: skip

    def push() -> None:
        queued = changes(1000)
        for i in range(0, 1000, 500):
            results = post({"cursor": cursor, "changes": queued[i : i + 500]})["results"]
            assert all(r["status"] == "applied" for r in results)

    figures["push_1000_ms"] = median_ms(push, 3)

    def bulk() -> None:
        with app.app_context():
            rows = [{"id": uuid.UUID(c["id"]), "version": 1, "seq": 0, "created_seq": 0,
                     "patient_id": uuid.UUID(c["data"]["patient_id"]), "author_id": worker_id,
                     "source": "link_worker", "captured_at": NOW, "captured_utc_offset": 0,
                     "received_at": NOW, "measures": ANSWERS, "scores": SCORES, "needs": [],
                     "notes": "bench", "created_at": NOW, "updated_at": NOW}
                    for c in changes(1000)]  # fmt: skip
            db.session.execute(insert(CheckIn), rows)
            db.session.commit()

    figures["bulk_1000_ms"] = median_ms(bulk, 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--scales", default="0.1,1", help="fractions of a whole area")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="sync-bench-")
    os.environ.setdefault("PWA_INSTANCE_PATH", folder)
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    for scale in (float(s) for s in args.scales.split(",")):
        url = args.database_url or f"sqlite:///{folder}/bench-{scale}.sqlite3"
        f = measure(url, scale)
        push_rate = 1000 / (f["push_1000_ms"] / 1000)
        print(
            f"\nscale {scale:g}: {f['check_ins']:,.0f} check-ins on the server "
            f"(built in {f['build_s']:.0f} s), database {url.split(':')[0]}"
        )
        print(
            f"  push 1,000 check-ins, 2 batches: {f['push_1000_ms']:8.1f} ms "
            f"({push_rate:,.0f} records/s)"
        )
        print(
            f"  same rows, one bulk INSERT:      {f['bulk_1000_ms']:8.1f} ms "
            f"(protocol overhead x{f['push_1000_ms'] / f['bulk_1000_ms']:.1f})"
        )
        print(f"  first sync of one caseload:      {f['first_sync_ms']:8.1f} ms")
        print(f"  incremental sync, nothing new:   {f['incremental_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
