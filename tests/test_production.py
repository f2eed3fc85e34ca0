"""Running it for real: static files under versioned names, cached and compressed; the API's
JSON compressed, pages never; and gunicorn with the repository's configuration, over real HTTP."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa import create_app, static_files
from pwa.models import Patient, User

from .conftest import make_patient, sign_in
from .test_api_sync import enrol

ROOT = Path(__file__).parent.parent


def test_static_addresses_change_with_the_content(tmp_path: Path) -> None:
    before = static_files._fingerprint(tmp_path)
    (tmp_path / "app.css").write_text("body { color: red }")
    changed = static_files._fingerprint(tmp_path)
    (tmp_path / "app.css.br").write_bytes(b"compressed copy")  # made at deploy: not content
    assert before != changed == static_files._fingerprint(tmp_path)


def test_a_static_file_is_kept_a_year_and_served_compressed_when_a_copy_exists(
    app_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    css = static_files.STATIC / "noscript.css"
    copy = css.with_name(css.name + ".br")
    copy.write_bytes(brotli.compress(css.read_bytes()))
    try:
        monkeypatch.setenv("PWA_INSTANCE_PATH", str(tmp_path))
        client = create_app(app_config).test_client()  # WhiteNoise finds the copy as it starts
        address = f"{static_files.url_path()}/noscript.css"
        plain = client.get(address)
        packed = client.get(address, headers={"Accept-Encoding": "br, gzip"})
    finally:
        copy.unlink()
    assert plain.status_code == packed.status_code == 200
    assert "immutable" in plain.headers["Cache-Control"]
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == plain.data == css.read_bytes()
    # Last release's address is not this one's: nothing stale is served under it.
    assert client.get("/static/000000000000/noscript.css").status_code == 404


def test_the_api_json_is_compressed_and_pages_never_are(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    for n in range(10):  # a caseload worth compressing (small answers go as they are)
        make_patient(worker, given_name=f"Person{n}")
    token = enrol(client, worker)
    answer = client.post("/api/v1/sync", json={"cursor": None, "changes": []},
                         headers={"Authorization": f"Bearer {token}",
                                  "Accept-Encoding": "br, gzip"})  # fmt: skip
    assert answer.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in answer.headers["Vary"]
    body = json.loads(brotli.decompress(answer.data))
    assert {entry["id"] for entry in body["changes"]} >= {str(patient.id)}
    sign_in(client, worker)
    page = client.get("/caseload?q=Walsh", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in page.headers  # its CSRF token beside a search: BREACH
    assert "Patricia Walsh" in page.get_data(as_text=True)


def get(url: str, timeout: float = 5) -> Any:
    """GET over real HTTP, from the test's own loopback server only."""
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - http://127.0.0.1 only


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gunicorn(tmp_path: Path, app: Flask) -> Iterator[tuple[str, Path]]:
    """The app under gunicorn with the repository's configuration: two worker processes."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "PWA_INSTANCE_PATH": str(tmp_path / "served"), "BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "FLASK_SESSION_COOKIE_SECURE": "false"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "pwa", "db", "upgrade"], env=env,
                   check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603 - this interpreter, the repository's gunicorn
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "pwa:create_app()"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                get(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base, log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_gunicorn_serves_the_app_and_logs_no_search(gunicorn: tuple[str, Path]) -> None:
    base, log = gunicorn
    assert get(f"{base}/healthz").status == 200
    static = get(f"{base}{static_files.url_path()}/app.css")
    assert "immutable" in static.headers["Cache-Control"]
    with contextlib.suppress(urllib.error.HTTPError):  # sent to sign in: the log is what counts
        get(f"{base}/caseload?q=O%27Brien")
    time.sleep(0.3)  # the access log is written as the answer goes
    logged = log.read_text()
    assert "GET /caseload" in logged and "Brien" not in logged and "q=" not in logged
    assert "Booting worker" in logged and logged.count("Booting worker") == 2


def test_the_app_shell_is_compressed_and_holds_no_secret_to_leak(
    client: FlaskClient, worker: User
) -> None:
    """The shell is most of a first visit; it may be compressed, as pages may not, because it
    holds no CSRF token, no name and nothing typed (BREACH needs a secret beside those)."""
    sign_in(client, worker)
    plain = client.get("/offline")
    packed = client.get("/offline", headers={"Accept-Encoding": "gzip, deflate, br"})
    gzipped = client.get("/offline", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert (
        packed.headers["Content-Encoding"] == "br" and "Accept-Encoding" in packed.headers["Vary"]
    )
    assert gzipped.headers["Content-Encoding"] == "gzip"
    shell = brotli.decompress(packed.data).decode()
    assert gzip.decompress(gzipped.data).decode().count('id="form-contact"') == 1
    assert 'id="form-contact"' in shell and "csrf" not in shell.lower()
    assert worker.username not in shell and worker.display_name not in shell
    assert len(packed.data) < len(plain.data) / 5
