"""Device keys (pwa/phone_keys.py): given only to the phone's own person after an online sign-in,
the same key to the same phone, and never again once revoked."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.devices import device_for_token, revoke_devices
from pwa.extensions import db
from pwa.models import AuditEvent, Device, PhoneKey, User

from .conftest import PASSWORD


def enrol(client: FlaskClient, username: str = "amara", phone_key_id: str | None = None) -> Any:
    body: dict[str, Any] = {"username": username, "password": PASSWORD, "name": "Work phone"}
    if phone_key_id is not None:
        body["phone_key_id"] = phone_key_id
    return client.post("/api/v1/devices", json=body)


def key_bytes(answer: dict[str, str]) -> bytes:
    return base64.urlsafe_b64decode(answer["key"] + "=")


def test_an_enrolment_gives_the_phone_a_256_bit_key_kept_on_the_server(
    client: FlaskClient, worker: User
) -> None:
    response = enrol(client)
    assert response.status_code == 201
    answer = response.json["phone_key"]
    assert len(key_bytes(answer)) == 32 and len(answer["id"]) == 43
    stored = db.session.get(PhoneKey, answer["id"])
    assert stored.user_id == worker.id and stored.secret == key_bytes(answer)
    device = db.session.get(Device, uuid.UUID(response.json["device_id"]))
    assert device.phone_key_id == answer["id"]


def test_the_same_phone_gets_the_same_key_back_and_its_older_token_ends(
    client: FlaskClient, worker: User
) -> None:
    first = enrol(client).json
    again = enrol(client, phone_key_id=first["phone_key"]["id"]).json
    assert again["phone_key"] == first["phone_key"]
    assert again["token"] != first["token"]
    old = device_for_token(first["token"])
    assert not isinstance(old, Device) and old.code == "token_expired"  # ended, not revoked
    assert isinstance(device_for_token(again["token"]), Device)
    assert "device.key_given_again" in db.session.scalars(db.select(AuditEvent.action)).all()


def test_someone_elses_or_an_unknown_key_id_gets_a_new_key_and_names_nothing(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    bens = enrol(client, "ben").json["phone_key"]
    mine = enrol(client, phone_key_id=bens["id"]).json["phone_key"]
    assert mine["id"] != bens["id"] and mine["key"] != bens["key"]
    unknown = enrol(client, phone_key_id="A" * 43).json["phone_key"]
    assert unknown["id"] not in (bens["id"], mine["id"], "A" * 43)
    # Ben's phone is untouched.
    assert db.session.get(PhoneKey, bens["id"]).revoked_at is None


def test_a_revoked_phone_never_gets_its_key_again(client: FlaskClient, worker: User) -> None:
    first = enrol(client).json
    revoke_devices(Device.id == uuid.UUID(first["device_id"]))
    db.session.commit()
    response = enrol(client, phone_key_id=first["phone_key"]["id"])
    assert response.status_code == 403
    assert response.json["error"]["code"] == "device_revoked"
    assert "storage" in response.headers["Clear-Site-Data"]
    assert "key" not in response.get_data(as_text=True).lower().replace("phone_key", "")
    # Nothing half-written: no new device, and the refusal is audited.
    assert db.session.scalar(db.select(db.func.count(Device.id))) == 1
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "device.key_refused" in actions
    # A new phone (no key id) still enrols: only that phone's key is gone.
    assert enrol(client).status_code == 201


def test_deactivating_a_person_revokes_every_key_of_theirs(
    client: FlaskClient, worker: User
) -> None:
    from pwa.accounts import deactivate

    answer = enrol(client).json["phone_key"]
    deactivate(db.session.get(User, worker.id))
    db.session.commit()
    assert db.session.get(PhoneKey, answer["id"]).revoked_at is not None


@pytest.mark.parametrize("bad", ["short", "A" * 44, "A" * 42 + "!", 7, ["A" * 43]])
def test_a_malformed_key_id_is_a_clear_refusal(client: FlaskClient, worker: User, bad: Any) -> None:
    response = client.post(
        "/api/v1/devices",
        json={"username": "amara", "password": PASSWORD, "name": "x", "phone_key_id": bad},
    )
    assert response.status_code == 422
    assert "phone_key_id" in response.json["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count(Device.id))) == 0


def test_a_locked_phones_session_shows_no_page_until_its_own_token_unlocks_it(
    client: FlaskClient, worker: User, other_worker: User, patient: Any
) -> None:
    """The server's half of the phone's lock (views/app_shell.py): what a finder could fetch
    with the page session's cookie, or read with JavaScript off."""
    from .conftest import sign_in

    token = enrol(client).json["token"]
    bens_token = enrol(client, "ben").json["token"]
    sign_in(client, worker)
    assert patient.family_name in client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert client.post("/session/lock").status_code == 204
    for path in ("/caseload", f"/patients/{patient.id}", f"/patients/{patient.id}/check-ins/new"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        text = page.get_data(as_text=True)
        assert patient.family_name not in text and 'name="app-session-locked"' in text
    # Someone else's phone, or no token, unlocks nothing.
    other = client.post("/api/v1/session/unlock", headers={"Authorization": f"Bearer {bens_token}"})
    assert other.json == {"unlocked": False}
    assert client.post("/api/v1/session/unlock").status_code == 401
    assert patient.family_name not in client.get("/caseload").get_data(as_text=True)
    # The unlocked phone's own token does, and both steps are on the record.
    mine = client.post("/api/v1/session/unlock", headers={"Authorization": f"Bearer {token}"})
    assert mine.json == {"unlocked": True}
    assert patient.family_name in client.get("/caseload").get_data(as_text=True)
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "session.lock" in actions and "session.unlock" in actions


def test_a_page_session_never_gets_a_phones_existing_key_back(
    client: FlaskClient, worker: User
) -> None:
    """Whoever finds a phone may find its signed-in session too: with it (and the key's id, in
    plain on the phone) they get a new key, which opens nothing the phone sealed."""
    from .conftest import csrf_token_from, sign_in

    first = enrol(client).json["phone_key"]
    sign_in(client, worker)
    token = csrf_token_from(client.get("/caseload"))
    response = client.post(
        "/api/v1/devices",
        json={"name": "Found phone", "phone_key_id": first["id"]},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    assert response.json["phone_key"]["id"] != first["id"]
    assert first["key"] not in response.get_data(as_text=True)
