"""Time the outcomes report on a whole area's data, figure by figure and as a page.

    python bench/outcomes_bench.py                      # SQLite in a temporary folder
    python bench/outcomes_bench.py --database-url postgresql+psycopg://user:pass@host/db

The area is sync_bench.py's (100 link workers, each with 40 active and 400 past patients of 20
check-ins a fortnight apart: about 880,000 check-ins), made to look lived in: each patient added
three days before their first check-in, each past patient discharged after their last (with a
reason), and two referrals per patient, made a week after they were added, a third of them
attended within 1-30 days, some declined. Prints the median of 3 runs (in-process, no network)
for each figure's query (every score's change is one query), and for the whole page (queries,
charts and template) for the default span (the last 12 months): for everyone, for one link
worker and for one need.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, text

sys.path.insert(0, os.path.dirname(__file__))
from sync_bench import NOW, build_area, median_ms

from pwa import create_app
from pwa.extensions import db
from pwa.models import AssetReferral, CheckIn, CommunityAsset, Patient, User
from pwa.outcomes import Report, ReportFilters, default_span
from pwa.passwords import hash_password
from pwa.progress import TRACKED

REASONS = ("goals_met", "declined", "moved_away", "no_contact", "referred_on", "goals_met")


def live_in(workers: int) -> None:
    """Spread the bulk-loaded area's dates out as a real practice's would be."""
    first = (
        select(func.min(CheckIn.captured_at))
        .where(CheckIn.patient_id == Patient.id)
        .scalar_subquery()
    )
    last = (
        select(func.max(CheckIn.captured_at))
        .where(CheckIn.patient_id == Patient.id)
        .scalar_subquery()
    )
    db.session.execute(db.update(Patient).values(created_at=first))
    db.session.execute(
        db.update(Patient).where(Patient.status == "discharged").values(discharged_at=last)
    )
    db.session.commit()
    # sync_bench gives every patient the same dates; stagger them by their name's number so
    # caseloads rise and fall over the year (patients "P 0" to "P 439" per worker).
    rows = db.session.execute(
        select(Patient.id, Patient.family_name, Patient.created_at, Patient.discharged_at)
    ).all()  # fmt: skip
    assets = list(db.session.scalars(select(CommunityAsset.id)))
    author = db.session.scalar(select(User.id))
    updates, referrals = [], []
    for n, (pid, family, created, discharged) in enumerate(rows):
        shift = timedelta(days=int(family) % 300)
        updates.append({"pid": pid, "created": created - shift - timedelta(days=3),
                        "reason": REASONS[n % len(REASONS)] if discharged else None,
                        "discharged": discharged - shift if discharged else None})  # fmt: skip
        for k in range(2):
            made = created - shift + timedelta(days=7 + k)
            state = ("suggested", "referred", "attended", "attended", "declined", "referred")[
                (n + k) % 6
            ]
            referrals.append({
                "id": uuid.uuid4(), "version": 1, "seq": 0, "created_seq": 0, "patient_id": pid,
                "asset_id": assets[(n + k) % len(assets)], "status": state, "note": "",
                "created_by_id": author, "created_at": made, "updated_at": made,
                "referred_at": made if state in ("referred", "attended") else None,
                "attended_at": made + timedelta(days=1 + n % 30) if state == "attended" else None,
            })  # fmt: skip
    # An UPDATE per patient by primary key, sent as one executemany.
    table = Patient.__table__
    db.session.execute(
        table.update().where(table.c.id == bindparam("pid")).values(
            created_at=bindparam("created"), discharge_reason=bindparam("reason"),
            discharged_at=bindparam("discharged"),
        ),
        updates,
    )  # fmt: skip
    db.session.commit()
    db.session.execute(insert(AssetReferral), referrals)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of a whole area")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="outcomes-bench-")
    os.environ.setdefault("PWA_INSTANCE_PATH", folder)
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "TEMPLATE_CACHE_DIR": None,
                      "WTF_CSRF_ENABLED": False})  # fmt: skip
    workers = max(1, round(100 * args.scale))
    zone = ZoneInfo(app.config["PRACTICE_TIMEZONE"])
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        build_area(workers, active=40, past=400, check_ins=20)
        live_in(workers)
        built = time.perf_counter() - start
        counts = {name: db.session.scalar(select(func.count()).select_from(model))
                  for name, model in (("check-ins", CheckIn), ("patients", Patient),
                                      ("referrals", AssetReferral))}  # fmt: skip
        since, until = default_span(NOW.date())
        one = db.session.scalar(select(User.id).where(User.username == "worker0"))
        admin = User(username="bench-admin", display_name="Admin", role="admin",
                     password_hash=hash_password("bench password for the admin"))  # fmt: skip
        db.session.add(admin)
        db.session.commit()
        report = Report(db.session, ReportFilters(since, until), zone)
        timings = {
            "patients referred, seen, discharged": median_ms(report.people, 3),
            f"first-to-latest change, all {len(TRACKED)} scores": median_ms(report.changes, 3),
            "referral funnel per asset": median_ms(report.referrals, 3),
            "caseload per worker, 12 months": median_ms(report.caseloads, 3),
        }
        db.session.commit()

    client = app.test_client()
    client.post("/sign-in", data={"username": "bench-admin",
                                  "password": "bench password for the admin"})  # fmt: skip
    span = {"from": since.isoformat(), "to": until.isoformat()}

    def page(**more: str) -> None:
        response = client.get("/admin/outcomes", query_string={**span, **more})
        assert response.status_code == 200, response.status_code

    timings["whole page, everyone"] = median_ms(page, 3)
    timings["whole page, one link worker"] = median_ms(lambda: page(worker=str(one)), 3)
    timings["whole page, one need"] = median_ms(lambda: page(need="loneliness"), 3)

    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  "
          f"database: {url.split(':')[0]}  built in {built:.0f} s")  # fmt: skip
    print("  " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    print(f"  span {since} to {until}; median of 3 runs, milliseconds")
    for name, ms in timings.items():
        print(f"  {name:<48} {ms:9.1f}")


if __name__ == "__main__":
    main()
