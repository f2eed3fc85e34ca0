"""Time refusing a wrong username against refusing a wrong password, at the configured argon2 cost.

    python bench/sign_in_timing.py [--tries 20]

Signs in over the API through Flask's test client (SQLite in a temporary folder, default argon2
cost: 64 MiB, 3 passes, 4 lanes), alternating the two kinds so machine noise falls on both, each
try from its own address so the throttle never answers first. Prints the median and spread of
each and their ratio: it should be close to 1. The suite checks the same thing by counting argon2
runs (tests/test_throttle.py), never by timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pwa import create_app
from pwa.extensions import db
from pwa.models import User
from pwa.passwords import hash_password


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=20)
    tries = parser.parse_args().tries
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PWA_INSTANCE_PATH"] = folder
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                          "SIGN_IN_LIMITS": "1000 per minute",
                          "SIGN_IN_USERNAME_LIMITS": "1000 per minute"})  # fmt: skip
        with app.app_context():
            db.create_all()
            db.session.add(User(username="amara", display_name="Amara", role="link_worker",
                                password_hash=hash_password("the right passphrase")))  # fmt: skip
            db.session.commit()
        client = app.test_client()
        times: dict[str, list[float]] = {"unknown username": [], "wrong password": []}
        for index in range(tries * 2 + 2):
            kind = "unknown username" if index % 2 else "wrong password"
            body = {"username": "nobody" if index % 2 else "amara", "password": "guess",
                    "name": "Bench"}  # fmt: skip
            started = time.perf_counter()
            address = {"REMOTE_ADDR": f"10.0.{index // 250}.{index % 250}"}
            response = client.post("/api/v1/devices", json=body, environ_base=address)
            elapsed = time.perf_counter() - started
            assert response.status_code == 401, response.status_code
            if index >= 2:  # the first of each kind warms up (and makes the decoy hash)
                times[kind].append(elapsed * 1000)
    print(f"cores: {os.cpu_count()}, tries per kind: {tries}, argon2: 64 MiB, 3 passes, 4 lanes")
    for kind, values in times.items():
        print(f"{kind:>17}: median {statistics.median(values):6.1f} ms, "
              f"min {min(values):6.1f}, max {max(values):6.1f}")  # fmt: skip
    ratio = statistics.median(times["unknown username"]) / statistics.median(
        times["wrong password"]
    )
    print(f"unknown / wrong password: x{ratio:.2f}")


if __name__ == "__main__":
    main()
