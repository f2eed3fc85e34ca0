"""Practice admins manage users and the community asset directory."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AuditEvent, CommunityAsset, Device, User, utcnow
from pwa.passwords import check_password

from .conftest import make_asset, sign_in

NEW_USER = {
    "display_name": "Chidi Obi",
    "username": "chidi",
    "role": "link_worker",
    "password": "a long temporary one",
}


def test_an_admin_creates_a_link_worker_who_can_sign_in(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    response = client.post("/admin/users/new", data=NEW_USER, follow_redirects=True)
    assert "Chidi Obi can now sign in as chidi" in response.get_data(as_text=True)
    user = db.session.scalar(db.select(User).where(User.username == "chidi"))
    assert user.role == "link_worker" and user.active
    assert user.must_change_password  # the admin chose it: the person chooses their own
    assert check_password(user.password_hash, "a long temporary one")
    client.post("/sign-out")
    assert sign_in(client, user, "a long temporary one").location == "/"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "Has Spaces"}, "Use lower-case letters, numbers, dots, dashes"),
        ({"username": "amara"}, "That username is taken"),
        ({"password": "short"}, "Your password must be at least 12 characters"),
        ({"password": "password1234"}, "Choose a password that is harder to guess"),
        ({"password": "chidi1234567"}, "It uses your name or username"),
        ({"role": "superuser"}, "Not a valid choice"),
        ({"display_name": ""}, "Enter their full name"),
    ],
)
def test_bad_user_details_are_refused(
    client: FlaskClient, admin: User, worker: User, change: dict[str, Any], message: str
) -> None:
    sign_in(client, admin)
    page = client.post("/admin/users/new", data=NEW_USER | change).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_deactivating_a_user_revokes_their_devices(
    client: FlaskClient, admin: User, worker: User
) -> None:
    device = Device(user_id=worker.id, name="Amara's phone", token_hash="x" * 64)
    db.session.add(device)
    db.session.commit()
    sign_in(client, admin)
    response = client.post(f"/admin/users/{worker.id}/active", follow_redirects=True)
    assert "Amara Okafor has been deactivated" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not worker.active and worker.deactivated_at is not None
    assert device.revoked_at is not None
    assert db.session.scalar(
        db.select(AuditEvent.id).where(
            AuditEvent.action == "user.deactivate", AuditEvent.record_id == str(worker.id)
        )
    )
    client.post(f"/admin/users/{worker.id}/active")
    db.session.expire_all()
    assert worker.active and worker.deactivated_at is None


def test_an_admin_cannot_lock_themself_out(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    response = client.post(f"/admin/users/{admin.id}/active", follow_redirects=True)
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active


ASSET = {
    "name": "Walking Football",
    "category": "physical_activity",
    "description": "Slower-paced football",
    "contact": "0113 496 0123",
    "address": "Park Lane",
    "postcode": "LS8 1AA",
    "opening_times": "Fridays 10am",
    "url": "https://example.org/walking-football",
    "active": "y",
}


def test_an_admin_adds_an_asset_that_link_workers_can_find(
    client: FlaskClient, admin: User, worker: User
) -> None:
    sign_in(client, admin)
    response = client.post("/admin/assets/new", data=ASSET, follow_redirects=True)
    assert "Walking Football added to the directory" in response.get_data(as_text=True)
    asset = db.session.scalar(db.select(CommunityAsset))
    assert asset.category == "physical_activity" and asset.active and asset.version == 1
    sign_in(client, worker)
    assert "Walking Football" in client.get("/assets?q=football").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Enter the name"),
        ({"category": ""}, "Select a category"),
        ({"category": "astrology"}, "Not a valid choice"),
        ({"url": "not a url"}, "Enter a full web address"),
    ],
)
def test_bad_asset_details_are_refused(
    client: FlaskClient, admin: User, change: dict[str, str], message: str
) -> None:
    sign_in(client, admin)
    page = client.post("/admin/assets/new", data=ASSET | change).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(db.select(db.func.count(CommunityAsset.id))) == 0


def test_editing_an_asset_bumps_its_version_and_can_close_it(
    client: FlaskClient, admin: User
) -> None:
    asset = make_asset()
    seq = asset.seq
    sign_in(client, admin)
    assert 'value="Knit and Natter"' in client.get(f"/admin/assets/{asset.id}/edit").get_data(
        as_text=True
    )
    data = ASSET | {"name": "Knit and Natter (Tuesdays)", "category": "social_groups"}
    del data["active"]  # unticked
    client.post(f"/admin/assets/{asset.id}/edit", data=data)
    db.session.expire_all()
    assert asset.name == "Knit and Natter (Tuesdays)" and not asset.active
    assert asset.version == 2 and asset.seq > seq
    assert asset.updated_at >= asset.created_at
    assert asset.updated_at <= utcnow()
