"""Measure `flask send-reminders` against a whole area's data, and against a tenth of it.

    python bench/reminders_bench.py                      # SQLite in a temporary folder
    python bench/reminders_bench.py --database-url postgresql+psycopg://user:pass@host/db

The area is bench/sync_bench.py's (100 link workers, 44,000 patients, 880,000 check-ins), plus
for every worker a subscribed phone, 10 follow-ups due today and 5 patients' own check-ins from
the last day that need a look. Pushes go over real HTTP to the tests' fake push service on
127.0.0.1 (tests/fake_push.py), so the delivery figure includes pywebpush's encryption and VAPID
signing. Prints the first run (gathering and delivering everything) and the run after it, which
finds nothing new: what every five-minute run costs on a quiet day.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sync_bench import build_area
from pwa import create_app
from pwa.extensions import db
from pwa.measures import score_all
from pwa.models import (
    CheckIn,
    Device,
    FollowUp,
    Patient,
    PushSubscription,
    User,
    change_counter,
    utcnow,
)
from pwa.reminders import send_reminders
from tests.fake_push import FakePushService, Phone

LONELY = {"ucla3": {"companionship": 3, "left_out": 3, "isolated": 3}}


def add_reminders(service: FakePushService) -> None:
    """A subscribed phone per worker, follow-ups due today and alerting self check-ins."""
    now = utcnow()
    seq = db.session.scalar(db.select(change_counter.c.value))
    scores = score_all(LONELY)
    devices, subscriptions, follow_ups, check_ins = [], [], [], []
    for user_id in db.session.scalars(db.select(User.id)):
        device_id = uuid.uuid4()
        devices.append({"id": device_id, "user_id": user_id, "name": "bench phone",
                        "token_hash": uuid.uuid4().hex, "created_at": now})  # fmt: skip
        keys = Phone(service, f"/push/{user_id}").subscription_json()
        subscriptions.append({"id": uuid.uuid4(), "device_id": device_id, "failures": 0,
                              "endpoint": keys["endpoint"], "created_at": now,
                              **keys["keys"]})  # fmt: skip
        patients = db.session.scalars(
            db.select(Patient.id)
            .where(Patient.link_worker_id == user_id, Patient.status == "active")
            .limit(10)
        ).all()
        for n, patient_id in enumerate(patients):
            seq += 2
            follow_ups.append({"id": uuid.uuid4(), "version": 1, "seq": seq, "created_seq": seq,
                               "patient_id": patient_id, "assigned_to_id": user_id,
                               "due_at": now + timedelta(minutes=n), "kind": "call",
                               "note": "", "created_at": now, "updated_at": now})  # fmt: skip
            if n < 5:
                check_ins.append({"id": uuid.uuid4(), "version": 1, "seq": seq + 1,
                                  "created_seq": seq + 1,
                                  "patient_id": patient_id, "author_id": user_id,
                                  "source": "self", "captured_at": now,
                                  "captured_utc_offset": 0, "received_at": now,
                                  "measures": LONELY, "scores": scores, "needs": [],
                                  "notes": "", "created_at": now, "updated_at": now})  # fmt: skip
    db.session.execute(insert(Device), devices)
    db.session.execute(insert(PushSubscription), subscriptions)
    db.session.execute(insert(FollowUp), follow_ups)
    db.session.execute(insert(CheckIn), check_ins)
    db.session.execute(db.update(change_counter).values(value=seq))
    db.session.commit()


def measure(url: str, scale: float) -> dict[str, Any]:
    workers = max(1, round(100 * scale))
    service = FakePushService()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "VAPID_SUBJECT": "mailto:bench@example.org",
                      "PUSH_ALLOW_LOOPBACK_HTTP": True, "REMINDER_HOURS": (0, 24),
                      "TEMPLATE_CACHE_DIR": None})  # fmt: skip
    figures: dict[str, Any] = {}
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            build_area(workers, active=40, past=400, check_ins=20)
            add_reminders(service)
            figures["check_ins"] = db.session.scalar(db.select(db.func.count(CheckIn.id)))
            start = time.perf_counter()
            figures["first"] = send_reminders()
            figures["first_s"] = time.perf_counter() - start
            assert len(service.received) == figures["first"]["sent"]
            quiet = []
            for _ in range(5):
                start = time.perf_counter()
                report = send_reminders()
                quiet.append((time.perf_counter() - start) * 1000)
                assert report["notices"] == 0 and not report["sent"]
            figures["quiet_ms"] = sorted(quiet)[2]
    finally:
        service.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--scales", default="0.1,1", help="fractions of a whole area")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="reminders-bench-")
    os.environ.setdefault("PWA_INSTANCE_PATH", folder)
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}")
    for scale in (float(s) for s in args.scales.split(",")):
        url = args.database_url or f"sqlite:///{folder}/bench-{scale}.sqlite3"
        f = measure(url, scale)
        first = f["first"]
        print(f"\nscale {scale:g}: {f['check_ins']:,.0f} check-ins, database {url.split(':')[0]}")
        per_push = f["first_s"] / max(first["sent"], 1) * 1000
        print(f"  first run: {first['notices']} notices, {first['sent']} pushes sent in "
              f"{f['first_s']:.2f} s ({per_push:.1f} ms a push)")  # fmt: skip
        print(f"  next run, nothing new: {f['quiet_ms']:.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
