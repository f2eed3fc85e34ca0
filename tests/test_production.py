"""Running it for real: static files under versioned names, cached and compressed; the API's
JSON compressed, pages never; and gunicorn with the repository's configuration, over real HTTP."""

from __future__ import annotations

import contextlib
import gzip
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa import create_app, static_files
from pwa.extensions import db
from pwa.models import Patient, User

from .conftest import PASSWORD, make_patient, make_user, sign_in
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


def serve_with_gunicorn(env: dict[str, str], port: int, out: Any) -> subprocess.Popen[bytes]:
    """Start the app under gunicorn with the repository's configuration, and wait until it
    answers on `port` (the database upgraded first by the caller)."""
    server = subprocess.Popen(  # noqa: S603 - this interpreter, the repository's gunicorn
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "pwa:create_app()"], env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=out,
        stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    for _ in range(100):
        try:
            get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail(f"gunicorn did not start on port {port}")


def upgraded_env(served: Path, **settings: str) -> dict[str, str]:
    """An environment for the app over a fresh SQLite database in `served`, migrated."""
    env = {**os.environ, "PWA_INSTANCE_PATH": str(served),
           "FLASK_SESSION_COOKIE_SECURE": "false", **settings}  # fmt: skip
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "pwa", "db", "upgrade"], env=env,
                   check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    return env


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture
def gunicorn(tmp_path: Path, app: Flask) -> Iterator[tuple[str, Path]]:
    """The app under gunicorn with the repository's configuration: two worker processes."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = upgraded_env(tmp_path / "served", WEB_CONCURRENCY="2")
    with log.open("w") as out:
        server = serve_with_gunicorn(env, port, out)
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop(server)


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


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """Two app servers, separate gunicorn processes on their own ports, sharing one database
    and one instance folder (its secret key), as behind a load-balancing proxy."""
    served = tmp_path / "served"
    env = upgraded_env(served, WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="/dev/null",
                       FLASK_SIGN_IN_LIMITS='"3 per 15 minutes"')  # fmt: skip
    ports = [free_port()]
    while len(ports) < 2:  # two different ports (a freed one can come back at once)
        if (port := free_port()) not in ports:
            ports.append(port)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        servers.extend(serve_with_gunicorn(env, port, subprocess.DEVNULL) for port in ports)
        # Each answered, and each is still running: two servers, not one answering twice.
        assert all(server.poll() is None for server in servers)
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", served
    finally:
        for server in servers:
            stop(server)


def post_json(url: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_two_app_servers_share_records_sessions_and_sign_in_limits(
    two_servers: tuple[str, str, Path], app_config: dict[str, Any]
) -> None:
    one, other, served = two_servers
    database = f"sqlite:///{served / 'pwa.sqlite3'}"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        worker = make_user("link_worker", "ruth")
        patient_id = str(make_patient(worker, given_name="Winifred").id)
        db.engine.dispose()

    # A phone's token and cursor from one server work on the other.
    sign_in_as = {"username": "ruth", "password": PASSWORD, "name": "Phone"}
    status, enrolled = post_json(f"{one}/api/v1/devices", sign_in_as)
    assert status == 201, enrolled
    token = enrolled["token"]
    change = {"id": str(uuid.uuid4()), "type": "checkin", "base_version": None,
              "data": {"patient_id": patient_id, "captured_at": "2026-11-20T10:30:00+00:00",
                       "measures": {"ucla3": {"companionship": 2, "left_out": 3,
                                              "isolated": 2}}}}  # fmt: skip
    status, pushed = post_json(f"{one}/api/v1/sync", {"cursor": None, "changes": [change]}, token)
    assert status == 200 and pushed["results"][0]["status"] == "applied", pushed
    status, again = post_json(f"{other}/api/v1/sync", {"cursor": None, "changes": [change]},
                              token)  # fmt: skip
    assert status == 200 and again["results"][0]["status"] == "duplicate"  # stored once
    assert change["id"] in {entry["id"] for entry in again["changes"]}
    status, later = post_json(f"{other}/api/v1/sync", {"cursor": pushed["cursor"], "changes": []},
                              token)  # fmt: skip
    assert status == 200, later  # a cursor signed by one is good on the other

    # A page's session begun on one server is known to the other (cookies ignore the port).
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = browser.open(f"{one}/sign-in", timeout=10).read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert csrf, "the sign-in form carries its CSRF token"
    fields = {"username": "ruth", "password": PASSWORD, "csrf_token": csrf.group(1)}
    browser.open(f"{one}/sign-in", urllib.parse.urlencode(fields).encode(), timeout=10)
    caseload = browser.open(f"{other}/caseload", timeout=10)
    assert caseload.url.endswith("/caseload") and "Winifred" in caseload.read().decode()

    # Wrong passwords count against the one limit, whichever server hears them.
    wrong = {"username": "ruth", "password": "not the password", "name": "Phone"}
    codes = [post_json(f"{server}/api/v1/devices", wrong)[0] for server in (one, other, one)]
    assert codes == [401, 401, 401]
    status, refused = post_json(f"{other}/api/v1/devices", wrong)
    assert status == 429, refused
