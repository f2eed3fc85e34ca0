"""Time a phone's first sync (cursor null, page after page) of one big caseload, in-process.

    python bench/first_sync.py                        # 200 patients, SQLite in a temporary folder
    python bench/first_sync.py --patients 40 --database-url postgresql+psycopg://user:pass@host/db

The caseload's link worker has N active patients of 20 check-ins each (bench/sync_bench.py's
`build_area`, two other workers beside them). Prints the entries and bytes sent and the median
of five first syncs: server time through the Flask test client, no network, no compression.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from sync_bench import build_area

from pwa import create_app
from pwa.devices import enrol_device
from pwa.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='first-')}/first.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "TEMPLATE_CACHE_DIR": None})  # fmt: skip
    with app.app_context():
        db.drop_all()
        db.create_all()
        worker = build_area(3, args.patients, 0, 20)
        _, token = enrol_device(worker, "bench phone")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def first_sync() -> tuple[int, int]:
        cursor, entries, size = None, 0, 0
        while True:
            response = client.post("/api/v1/sync", json={"cursor": cursor, "changes": []},
                                   headers=headers)  # fmt: skip
            assert response.status_code == 200, response.json
            size += len(response.data)
            entries += len(response.json["changes"])
            cursor = response.json["cursor"]
            if not response.json["more"]:
                return entries, size

    first_sync()  # warm: templates of SQL compiled, the database's cache filled
    times = []
    for _ in range(5):
        start = time.perf_counter()
        entries, size = first_sync()
        times.append(time.perf_counter() - start)
    database = url.split(":")[0]
    median_ms = statistics.median(times) * 1000
    print(f"{database}: first sync of {args.patients} patients, {entries} entries, "
          f"{size / 1000:.0f} KB uncompressed: median {median_ms:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
