"""Enrolling a device, using its token, and signing it out."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.devices import token_digest
from pwa.extensions import db
from pwa.models import Device, User, utcnow

from .conftest import PASSWORD, csrf_token_from, sign_in


def enrol(client: FlaskClient, username: str = "amara", password: str = PASSWORD) -> Any:
    return client.post(
        "/api/v1/devices", json={"username": username, "password": password, "name": "Work phone"}
    )


def test_a_link_worker_enrols_a_phone_and_gets_a_token_once(
    client: FlaskClient, worker: User
) -> None:
    response = enrol(client)
    assert response.status_code == 201
    body = response.json
    assert body["user"] == {"id": str(worker.id), "role": "link_worker",
                            "display_name": "Amara Okafor"}  # fmt: skip
    device = db.session.get(Device, uuid.UUID(body["device_id"]))
    assert device.name == "Work phone" and device.user_id == worker.id
    assert device.token_hash == token_digest(body["token"])
    assert body["token"] not in device.token_hash  # only the digest is stored


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "amara", "password": "wrong", "name": "x"}, 401, "invalid_credentials"),
        ({"username": "nobody", "password": PASSWORD, "name": "x"}, 401, "invalid_credentials"),
        ({"username": "amara", "password": PASSWORD}, 422, "invalid_request"),
        ({"username": "amara", "password": PASSWORD, "name": "x" * 121}, 422, "invalid_request"),
        ({"username": 7, "password": PASSWORD, "name": "x"}, 422, "invalid_request"),
        ({"name": "x"}, 401, "invalid_credentials"),  # no credentials and no session
        ([1, 2, 3], 400, "invalid_json"),
    ],
)
def test_bad_enrolments_get_the_error_shape(
    client: FlaskClient, worker: User, body: Any, status: int, code: str
) -> None:
    response = client.post("/api/v1/devices", json=body)
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(Device.id))) == 0


def test_malformed_json_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/devices", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_a_deactivated_user_cannot_enrol(client: FlaskClient, worker: User) -> None:
    worker.active = False
    db.session.commit()
    assert enrol(client).status_code == 401


def test_a_signed_in_page_enrols_with_its_csrf_token(client: FlaskClient, worker: User) -> None:
    sign_in(client, worker)
    assert client.post("/api/v1/devices", json={"name": "Tablet"}).json["error"]["code"] == (
        "csrf_failed"
    )
    token = csrf_token_from(client.get("/caseload"))
    response = client.post(
        "/api/v1/devices", json={"name": "Tablet"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201
    assert response.json["user"]["id"] == str(worker.id)


def test_repeated_failed_enrolments_are_rate_limited(client: FlaskClient, worker: User) -> None:
    for _ in range(5):
        assert enrol(client, password="guess").status_code == 401
    response = enrol(client)
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_requests"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_signing_a_device_out_ends_its_token(client: FlaskClient, worker: User) -> None:
    token = enrol(client).json["token"]
    assert client.delete("/api/v1/devices/current", headers=bearer(token)).status_code == 204
    again = client.delete("/api/v1/devices/current", headers=bearer(token))
    # 401, not 403: a phone told it was signed out keeps what it holds (403 would wipe it).
    assert again.status_code == 401
    assert again.json["error"]["code"] == "token_expired"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nonsense", "Basic YWJjOmRlZg=="])
def test_a_missing_or_wrong_token_is_a_401(client: FlaskClient, header: str) -> None:
    response = client.delete("/api/v1/devices/current", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_an_idle_token_expires(client: FlaskClient, worker: User) -> None:
    body = enrol(client).json
    device = db.session.get(Device, uuid.UUID(body["device_id"]))
    device.last_seen_at = utcnow() - timedelta(days=15)
    db.session.commit()
    response = client.delete("/api/v1/devices/current", headers=bearer(body["token"]))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"


def test_deactivating_a_user_stops_their_devices(
    client: FlaskClient, admin: User, worker: User
) -> None:
    token = enrol(client).json["token"]
    sign_in(client, admin)
    client.post(f"/admin/users/{worker.id}/active")
    response = client.delete("/api/v1/devices/current", headers=bearer(token))
    assert response.json["error"]["code"] == "device_revoked"


def test_unknown_api_paths_answer_in_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_the_api_describes_itself_in_valid_openapi_3_1(client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json
    validate(document)  # raises on an invalid document
    assert document["openapi"] == "3.1.0"
    assert {"/devices", "/devices/current", "/sync", "/openapi.json"} <= set(document["paths"])


@pytest.mark.parametrize("username", ["\ud800", "amara\x00", "\udfffamara"])
def test_enrolling_with_a_username_no_one_could_type_is_a_clear_refusal(
    client: FlaskClient, worker: User, username: str
) -> None:
    body = json.dumps({"username": username, "password": "x", "name": "Phone"})
    response = client.post("/api/v1/devices", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "username" in response.json["error"]["fields"]
