"""Practice admins see the phones people use and cut one off without touching the others."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import AuditEvent, Device, Patient, PhoneKey, PushSubscription, SyncReview, User

from .conftest import PASSWORD, sign_in


def enrol(client: FlaskClient, user: User, name: str, key_id: str | None = None) -> Any:
    body: dict[str, Any] = {"username": user.username, "password": PASSWORD, "name": name}
    if key_id:
        body["phone_key_id"] = key_id
    answer = client.post("/api/v1/devices", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def sync(client: FlaskClient, token: str) -> int:
    return client.post("/api/v1/sync", json={"cursor": None, "changes": []},
                       headers={"Authorization": f"Bearer {token}"}).status_code  # fmt: skip


def test_an_admin_sees_each_phone_once_however_often_it_signed_in(
    app: Flask, client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    api = app.test_client()
    work = enrol(api, worker, "Work phone")
    again = enrol(api, worker, "Work phone", key_id=work["phone_key"]["id"])  # the same phone
    enrol(api, worker, "Tablet")
    assert sync(api, again["token"]) == 200
    device = db.session.get(Device, uuid.UUID(again["device_id"]))
    db.session.add(SyncReview(
        reason="conflict", record_type="checkin", record_id=str(patient.id), data={},
        content_hash="0" * 64, user_id=worker.id, device_id=device.id if device else None,
    ))  # fmt: skip
    db.session.commit()
    sign_in(client, admin)
    page = client.get(f"/admin/users/{worker.id}/devices").get_data(as_text=True)
    assert page.count("nhsuk-card__heading") == 2  # two phones, not three enrolments
    assert "Work phone" in page and "Tablet" in page and "Signed in" in page
    assert 'Changes to review</dt><dd class="nhsuk-summary-list__value">1<' in page
    everyone = client.get("/admin/devices").get_data(as_text=True)
    assert worker.display_name in everyone and everyone.count("nhsuk-card__heading") == 2


def test_cutting_off_one_phone_leaves_the_persons_other_phones_working(
    app: Flask, client: FlaskClient, admin: User, worker: User
) -> None:
    api = app.test_client()
    lost = enrol(api, worker, "Lost phone")
    kept = enrol(api, worker, "Kept phone")
    db.session.add(PushSubscription(device_id=uuid.UUID(lost["device_id"]), p256dh="k",
                                    endpoint="https://fcm.googleapis.com/x", auth="a"))  # fmt: skip
    db.session.commit()
    sign_in(client, admin)
    ask = client.get(f"/admin/devices/{lost['device_id']}/revoke")
    assert ask.status_code == 200 and "Cut off this phone?" in ask.get_data(as_text=True)
    done = client.post(f"/admin/devices/{lost['device_id']}/revoke", follow_redirects=True)
    assert "is cut off" in done.get_data(as_text=True)

    assert sync(api, lost["token"]) == 403  # device_revoked: the phone wipes itself
    assert sync(api, kept["token"]) == 200  # the other phone carries on
    assert db.session.scalar(select(User.active).where(User.id == worker.id))
    lost_key = db.session.get(PhoneKey, lost["phone_key"]["id"])
    kept_key = db.session.get(PhoneKey, kept["phone_key"]["id"])
    assert lost_key is not None and lost_key.revoked_at is not None
    assert kept_key is not None and kept_key.revoked_at is None
    assert db.session.scalar(select(PushSubscription)) is None
    assert db.session.scalar(select(AuditEvent.record_id).where(
        AuditEvent.action == "device.revoke")) == lost["device_id"]  # fmt: skip
    assert client.get(f"/admin/devices/{lost['device_id']}/revoke").status_code == 404  # done


def test_only_admins_see_or_cut_off_phones(
    app: Flask, worker: User, patient_user: User, admin: User
) -> None:
    phone = enrol(app.test_client(), worker, "Work phone")
    for who in (worker, patient_user):
        caller = app.test_client()
        sign_in(caller, who)
        for path in ("/admin/devices", f"/admin/users/{worker.id}/devices",
                     f"/admin/devices/{phone['device_id']}/revoke"):  # fmt: skip
            assert caller.get(path).status_code == 404
        assert caller.post(f"/admin/devices/{phone['device_id']}/revoke").status_code == 404
    assert db.session.scalar(select(Device.revoked_at)) is None
    boss = app.test_client()
    sign_in(boss, admin)
    assert boss.get("/admin/devices/00000000-0000-4000-8000-000000000000/revoke").status_code == 404
    assert boss.get("/admin/users/00000000-0000-4000-8000-000000000000/devices").status_code == 404
