"""What a link worker's phone downloads on its first visit, and how long until the caseload is
on it: headless Chromium against the app under gunicorn, its static files compressed.

    python bench/first_visit.py                  # 40 patients of 20 check-ins each
    python bench/first_visit.py --patients 200

The phone (360 x 640, a fresh profile) opens the sign-in page, lets the service worker install,
signs in, chooses its PIN and waits for its first sync to finish. Every response it received
(the page's and the service worker's) is added up as it came over the wire, compressed where it
was, with the time to a drawn caseload and to a finished sync. WhiteNoise's compressor runs
first, as `make static` does at deploy time; its copies are removed again at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).parent.parent))
from load import serve
from sync_bench import build_area

from pwa import create_app
from pwa.extensions import db
from tests.conftest import CHROMIUM, answer_pin_prompts

ROOT = Path(__file__).parent.parent
STATIC = ROOT / "pwa" / "static"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=40)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="first-visit-")
    os.environ["PWA_INSTANCE_PATH"] = folder
    url = f"sqlite:///{folder}/first.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        build_area(1, args.patients, 0, 20)
        db.engine.dispose()
    compress = [sys.executable, "-m", "whitenoise.compress", "-q", str(ROOT / "pwa/static")]
    subprocess.run(compress, check=True)  # noqa: S603 - this interpreter, WhiteNoise's own
    os.environ["FLASK_SESSION_COOKIE_SECURE"] = "false"
    port = 8741
    server = serve("pwa:create_app()", url, port, 3, folder)
    received: dict[str, int] = defaultdict(int)
    counted = [0]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])  # fmt: skip
            context = browser.new_context(viewport={"width": 360, "height": 640})

            def finished(request: object) -> None:
                sizes = request.sizes()  # type: ignore[attr-defined]
                kind = request.resource_type  # type: ignore[attr-defined]
                received[kind] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
                if os.environ.get("FIRST_VISIT_DEBUG"):
                    print(kind, sizes["responseBodySize"], request.url)  # type: ignore[attr-defined]
                counted[0] += 1

            context.on("requestfinished", finished)
            page = context.new_page()
            answer_pin_prompts(page)
            base = f"http://127.0.0.1:{port}"
            started = time.monotonic()
            page.goto(f"{base}/sign-in")
            active = "async () => (await navigator.serviceWorker.getRegistration())?.active?.state"
            while page.evaluate(active) != "activated":
                time.sleep(0.05)
            installed = time.monotonic() - started
            page.get_by_label("Username").fill("worker0")
            page.get_by_label("Password").fill("bench password")
            signed = time.monotonic()
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Your caseload").wait_for()
            drawn = time.monotonic() - signed
            page.get_by_text("Everything saved on this phone has been sent").wait_for(
                timeout=120_000
            )
            synced = time.monotonic() - signed
            time.sleep(1)  # let the last responses be counted
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
        # Gone again: a copy left beside a file edited later would be served in its place.
        for copy in [*STATIC.rglob("*.br"), *STATIC.rglob("*.gz")]:
            copy.unlink()
    total = sum(received.values())
    print(f"first visit, {args.patients} patients of 20 check-ins, SQLite, gunicorn, "
          f"Chromium 360x640, {os.cpu_count()} cores")  # fmt: skip
    print(f"  service worker installed: {installed:.2f} s after opening the sign-in page")
    print(f"  after signing in: caseload drawn {drawn:.2f} s, first sync done {synced:.2f} s "
          "(PIN chosen in between)")  # fmt: skip
    print(
        f"  received over the wire: {total / 1024:.0f} KB in {counted[0]} responses "
        f"({', '.join(f'{k} {v / 1024:.0f} KB' for k, v in sorted(received.items()))})"
    )


if __name__ == "__main__":
    main()
