"""Input limits on every route (DESIGN.md, "Input limits"): sizes that hold for chunked bodies
over real HTTP, bounded JSON depth, forged cursors, file parts and JSON where a form's text is
expected, no-store on what is behind sign-in, and pages that never fail on a stored value."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from pwa.extensions import db
from pwa.models import CheckIn, FollowUp, Patient, User
from pwa.static_files import url_path
from pwa.sync.feed import Position

from .conftest import PASSWORD, make_check_in, make_follow_up, sign_in
from .test_api_sync import check_in_change, enrol, sync

MiB = 1024 * 1024


@pytest.fixture
def server(app: Flask) -> Iterator[tuple[str, int]]:
    """The app behind a real HTTP server, which reads chunked bodies as gunicorn does."""
    db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_port
    httpd.shutdown()
    thread.join(timeout=5)


def post_chunked(
    address: tuple[str, int], path: str, chunks: Iterator[bytes], headers: dict[str, str]
) -> tuple[int, bytes]:
    """POST a body with Transfer-Encoding: chunked (no Content-Length) and return the answer."""
    connection = http.client.HTTPConnection(*address, timeout=30)
    # The server may answer and close before the whole body is sent: then read its answer.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
    response = connection.getresponse()
    status, body = response.status, response.read()
    connection.close()
    return status, body


def padded_sync_body(size: int) -> Iterator[bytes]:
    """A well-formed sync body of about `size` bytes, sent 64 KiB at a time."""
    yield b'{"cursor": null, "changes": [], "padding": "'
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536
    yield b'"}'


def test_a_chunked_sync_body_is_read_up_to_the_limit_and_refused_beyond(
    server: tuple[str, int], client: FlaskClient, worker: User
) -> None:
    token = enrol(client, worker)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _ = post_chunked(server, "/api/v1/sync", padded_sync_body(MiB), headers)
    assert status == 200
    status, body = post_chunked(server, "/api/v1/sync", padded_sync_body(3 * MiB), headers)
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [("/sign-in", "application/x-www-form-urlencoded", 16 * 1024),
     ("/api/v1/devices", "application/json", 16 * 1024),
     ("/patients/new", "application/x-www-form-urlencoded", 256 * 1024)],
)  # fmt: skip
def test_every_route_has_a_size_limit_that_chunking_cannot_skip(
    server: tuple[str, int], path: str, content_type: str, limit: int
) -> None:
    def body() -> Iterator[bytes]:
        yield b"username=amara&password="
        for _ in range(limit // 4096 + 2):
            yield b"x" * 4096

    status, _ = post_chunked(server, path, body(), {"Content-Type": content_type})
    assert status == 413


def test_json_nested_deeper_than_a_record_needs_is_refused_even_before_sign_in(
    client: FlaskClient, worker: User
) -> None:
    for depth in (20, 1000, 8000):  # 8000: past Python's own recursion limit
        nested = "[" * depth + "]" * depth
        response = client.post("/api/v1/devices", data=nested,
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 400, depth
        assert response.json["error"]["code"] == "invalid_json"
    token = enrol(client, worker)
    data: dict[str, object] = {"answer": 1}
    for _ in range(6):  # a check-in's measures are {"ucla3": {"item": 1}}: this is six deeper
        data = {"nested": data}
    deep = {"cursor": None, "changes": [{"data": data}]}
    response = client.post("/api/v1/sync", json=deep, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_a_forged_or_garbled_cursor_is_a_400(app: Flask, client: FlaskClient, worker: User) -> None:
    token = enrol(client, worker)
    real = sync(client, token)["cursor"]
    huge = Position(2**70, 0, "").encode()  # signed by this server, but past any sequence
    unsigned = Position(5, 0, "").encode()[:-6] + "AAAAAA"
    other_key = Position(5, 0, "").encode()
    app.config["SECRET_KEY"] = "another server"
    forged_elsewhere = Position(5, 0, "").encode()
    app.config["SECRET_KEY"] = "test-secret"
    assert other_key != forged_elsewhere
    garbled = [real[:5] + "!!!" + real[5:], real + "====", real + "\n", f" {real}"]
    for cursor in ("rubbish", huge, unsigned, forged_elsewhere, "=" * 300, real[:-1], *garbled):
        response = client.post("/api/v1/sync", json={"cursor": cursor},
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 400, cursor
        assert response.json["error"]["code"] == "invalid_cursor"
    assert sync(client, token, cursor=real)["changes"] == []


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [("/sign-in", {"username": "amara"}, "Enter your password"),
     ("/admin/users/new", {"username": "newbie", "role": "patient"}, "Enter their full name")],
)  # fmt: skip
def test_a_file_where_text_is_expected_is_a_form_error(
    client: FlaskClient, admin: User, path: str, fields: dict[str, str], message: str
) -> None:
    import io

    sign_in(client, admin)
    missing = "password" if path == "/sign-in" else "display_name"
    data = {**fields, missing: (io.BytesIO(b"\x00\xff binary"), "payload.bin")}
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("as_file", ["notes", "needs", "ucla3__companionship", "stray"])
def test_a_file_in_the_check_in_form_is_an_error_and_saves_nothing(
    client: FlaskClient, worker: User, patient: Patient, as_file: str
) -> None:
    import io

    sign_in(client, worker)
    data: dict[str, object] = {
        "ucla3__companionship": "1", "ucla3__left_out": "1", "ucla3__isolated": "1",
        "notes": "Fine", "needs": "debt",
    }  # fmt: skip
    data[as_file] = (io.BytesIO(b"x" * 100), "upload.txt")
    response = client.post(f"/patients/{patient.id}/check-ins/new", data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "a file cannot be sent" in page or "it takes no files" in page
    assert db.session.scalar(db.select(db.func.count(CheckIn.id))) == 0


@pytest.mark.parametrize("body", [[1, 2], {"username": {"a": 1}, "password": [1]}, "text", 7])
def test_json_sent_to_a_page_form_is_a_form_error(client: FlaskClient, body: object) -> None:
    response = client.post("/sign-in", json=body)
    assert response.status_code == 200
    assert "Enter your username" in response.get_data(as_text=True)


def test_what_is_behind_sign_in_is_never_stored_by_a_cache(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    token = enrol(client, worker)
    api = client.post("/api/v1/sync", json={"cursor": None},
                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert api.headers["Cache-Control"] == "no-store"
    sign_in(client, worker)
    for path in ("/caseload", f"/patients/{patient.id}", "/assets", "/settings"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.get("/patients/" + str(uuid.uuid4())).headers["Cache-Control"] == "no-store"
    # What holds no patient data says how it may be cached itself.
    static = client.get(f"{url_path()}/app.css")
    assert "immutable" in static.headers["Cache-Control"]  # its address changes with its content
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/service-worker.js").headers["Cache-Control"] == "no-cache"


def test_pages_never_fail_on_a_stored_value(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    # Values no route lets in now, written straight to the database as an old release or a
    # restore might have left them.
    check_in = make_check_in(patient, worker, captured_at=datetime(1, 1, 1, tzinfo=UTC))
    check_in.captured_utc_offset = 10**6
    check_in.needs = ["a_need_from_the_future"]
    follow_up = make_follow_up(patient, due_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC))
    follow_up.kind = "carrier_pigeon"
    patient.needs = ["moonlighting"]
    patient.date_of_birth = datetime(1, 1, 1).date()
    db.session.commit()
    for user in (worker, admin):
        sign_in(client, user)
        for path in ("/caseload", f"/patients/{patient.id}",
                     f"/patients/{patient.id}/check-ins/{check_in.id}"):  # fmt: skip
            response = client.get(path)
            assert response.status_code == 200, (user.role, path)
        page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
        assert "carrier_pigeon" in page and "moonlighting" in page
    assert db.session.get(FollowUp, follow_up.id) is not None


def test_sign_in_still_works_after_all_that(client: FlaskClient, worker: User) -> None:
    response = client.post("/sign-in", data={"username": worker.username, "password": PASSWORD})
    assert response.status_code == 302


def test_a_sync_may_hold_good_changes_beside_a_large_valid_one(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    token = enrol(client, worker)
    big = check_in_change(patient, notes="é" * 10_000)  # at the limit, 20 KB of UTF-8
    assert sync(client, token, [big])["results"][0]["status"] == "applied"


def test_the_page_refusing_a_body_too_large_still_runs_its_script(
    client: FlaskClient, worker: User
) -> None:
    import re

    sign_in(client, worker)
    response = client.post("/patients/new", data={"notes": "x" * 300_000})
    assert response.status_code == 413
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
