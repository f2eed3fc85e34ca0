# ruff: noqa: E501 - the JavaScript run in the page is kept as it reads best
"""Time the sealed phone store against plain IndexedDB, in headless Chromium.

    python bench/phone_store.py [--rounds 5] [--sizes 40 200]

Serves the app (SQLite in a temporary folder) so the store's modules load from its origin, and
for each caseload size fills the phone's store through the real code (local-store.mjs's
applyFeed: every record sealed) with that many patients, five check-ins, a follow-up and a
referral each; and a second database with the same records in plain, as version 2 kept them.
Prints the median of `rounds` runs of:
  - unlock: the PIN's key (PBKDF2-SHA-256, 600,000 iterations), unwrapping the data secret and
    deriving the working keys;
  - caseload: what the offline caseload reads (every patient and follow-up), opened;
  - patient: one patient's records, found by keyed hash and opened (by plain index for v2);
  - all: every record the phone holds, opened.
Figures only; the suite never asserts a time.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from pwa import create_app
from pwa.extensions import db

CHROMIUM = "/usr/bin/chromium"

FILL = """async (size) => {
    const store = await import('/static/js/local-store.mjs');
    const keyring = await import('/static/js/keyring.mjs');
    await store.wipe();
    const deviceKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
        .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    await keyring.setUp("bench-pin-2468", { id: "b".repeat(43), key: deviceKey });
    const changes = [];
    const uuid = () => crypto.randomUUID();
    let version = 0;
    for (let p = 0; p < size; p++) {
        const id = uuid();
        changes.push({ id, type: "patient", version: ++version, data: {
            given_name: `Given${p}`, family_name: `Family${p}`, date_of_birth: "1950-01-01",
            nhs_number: "9434765919", needs: ["loneliness", "debt"], status: "active",
            referral_reason: "Lonely since moving to the area and worried about money" } });
        for (let c = 0; c < 5; c++) {
            changes.push({ id: uuid(), type: "checkin", version: ++version, data: {
                patient_id: id, captured_at: "2026-11-20T10:00:00+00:00", source: "worker",
                measures: { ons4: { life_satisfaction: 5, worthwhile: 6, happiness: 4, anxiety: 3 },
                            ucla3: { companionship: 2, left_out: 2, isolated: 3 } },
                scores: { ons4: { life_satisfaction: 5 }, ucla3: { total: 7 } },
                notes: "Talked about the lunch club and the gas bill." } });
        }
        changes.push({ id: uuid(), type: "followup", version: ++version, data: {
            patient_id: id, due_on: "2026-12-01", kind: "phone", done_at: null } });
        changes.push({ id: uuid(), type: "referral", version: ++version, data: {
            patient_id: id, asset_id: uuid(), status: "referred" } });
    }
    for (let start = 0; start < changes.length; start += 500) {
        await store.applyFeed(changes.slice(start, start + 500));
    }
    // The same records in plain, as version 2 of the store kept them.
    await new Promise((resolve, reject) => {
        const gone = indexedDB.deleteDatabase("bench-plain");
        gone.onsuccess = gone.onerror = () => {
            const open = indexedDB.open("bench-plain", 1);
            open.onupgradeneeded = () => {
                const records = open.result.createObjectStore("records", { keyPath: "id" });
                records.createIndex("type", "type");
                records.createIndex("patient_id", "data.patient_id");
            };
            open.onsuccess = () => {
                const tx = open.result.transaction("records", "readwrite");
                for (const c of changes) tx.objectStore("records").put({ ...c, status: "sent" });
                tx.oncomplete = () => { open.result.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
        };
    });
    return changes.find((c) => c.type === "patient").id;
}"""

TIME = """async (patientId) => {
    const store = await import('/static/js/local-store.mjs');
    const keyring = await import('/static/js/keyring.mjs');
    const seal = await import('/static/js/seal.mjs');
    const ms = async (work) => { const t = performance.now(); await work(); return performance.now() - t; };
    const copy = await store.getMeta("key_pin");
    const unlock = await ms(async () => {
        const secret = await seal.unwrapSecret(copy, await seal.keyFromPin("bench-pin-2468", copy.salt));
        await seal.workingKeys(secret);
    });
    await keyring.unlockWithPin("bench-pin-2468");
    const sealed = {
        caseload: await ms(async () => { await store.recordsOfType("patient");
                                         await store.recordsOfType("followup"); }),
        patient: await ms(() => store.recordsForPatient(patientId)),
        all: await ms(async () => { for (const type of ["patient", "checkin", "followup", "referral"])
                                        await store.recordsOfType(type); }),
    };
    const plainDb = await new Promise((resolve) => {
        const open = indexedDB.open("bench-plain", 1);
        open.onsuccess = () => resolve(open.result);
    });
    const read = (index, key) => new Promise((resolve) => {
        const request = plainDb.transaction("records").objectStore("records").index(index).getAll(key);
        request.onsuccess = () => resolve(request.result);
    });
    const plain = {
        caseload: await ms(async () => { await read("type", "patient"); await read("type", "followup"); }),
        patient: await ms(() => read("patient_id", patientId)),
        all: await ms(async () => { for (const type of ["patient", "checkin", "followup", "referral"])
                                        await read("type", type); }),
    };
    plainDb.close();
    return { unlock, sealed, plain };
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 200])
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PWA_INSTANCE_PATH"] = folder
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3"})
        with app.app_context():
            db.create_all()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            page = browser.new_page()
            page.goto(f"{base}/healthz")
            print(f"{'patients':>8} {'records':>8} {'unlock':>8}   "
                  f"{'caseload sealed/plain':>22} {'one patient':>14} {'everything':>16}")  # fmt: skip
            for size in args.sizes:
                patient_id = page.evaluate(FILL, size)
                runs: list[dict[str, Any]] = [page.evaluate(TIME, patient_id)
                                              for _ in range(args.rounds)]  # fmt: skip

                def median(*path: str, runs: list[dict[str, Any]] = runs) -> float:
                    values = []
                    for run in runs:
                        value: Any = run
                        for key in path:
                            value = value[key]
                        values.append(value)
                    return statistics.median(values)

                pair = lambda what: f"{median('sealed', what):7.1f}/{median('plain', what):5.1f} ms"  # noqa: E731
                print(f"{size:>8} {size * 8:>8} {median('unlock'):6.0f} ms   {pair('caseload'):>22} "
                      f"{pair('patient'):>14} {pair('all'):>16}")  # fmt: skip
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
