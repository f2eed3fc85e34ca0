"""Practice admins manage users and the community asset directory."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pwa.extensions import db
from pwa.models import AccessLink, AuditEvent, CommunityAsset, Device, User, utcnow
from pwa.passwords import check_password

from .conftest import make_asset, make_patient, make_user, sign_in

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


# --- people: reset links, name and role -----------------------------------------------------

CODE = re.compile(r'data-testid="reset-code">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<')


def give_reset_link(client: FlaskClient, user: User) -> Any:
    return client.post(f"/admin/users/{user.id}/reset-link")


def test_an_admin_gives_a_reset_link_that_is_shown_once(
    app: Flask, client: FlaskClient, admin: User, worker: User
) -> None:
    sign_in(client, admin)
    assert "Give a reset link" in client.get("/admin/users").get_data(as_text=True)
    response = give_reset_link(client, worker)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # not in a flash, nor anywhere else
    page = response.get_data(as_text=True)
    found = CODE.search(page)
    assert found, page
    code = found.group(1)
    bare = code.replace("-", "")
    assert f"http://localhost/set-password/{bare}" in page
    assert "Works until" in page and "amara" in page  # the username, to read out with it
    link = db.session.scalar(select(AccessLink))
    assert link is not None and link.user_id == worker.id and link.purpose == "password_reset"
    assert link.created_by_id == admin.id and bare not in link.code_digest
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.reset_link"))
    assert code not in client.get("/admin/users").get_data(as_text=True)

    # Amara opens it, chooses a password and is signed in with it.
    amara = app.test_client()
    done = amara.post(
        f"/set-password/{bare}",
        data={"password": "teapot river lantern", "confirm": "teapot river lantern"},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert check_password(worker.password_hash, "teapot river lantern")


def test_a_new_reset_link_stops_the_last_one(
    app: Flask, client: FlaskClient, admin: User, worker: User
) -> None:
    sign_in(client, admin)
    first = CODE.search(give_reset_link(client, worker).get_data(as_text=True))
    second = CODE.search(give_reset_link(client, worker).get_data(as_text=True))
    assert first and second and first.group(1) != second.group(1)
    old = app.test_client().get(f"/set-password/{first.group(1).replace('-', '')}")
    assert old.status_code == 404


def test_a_deactivated_person_gets_no_reset_link(
    client: FlaskClient, admin: User, worker: User
) -> None:
    worker.active = False
    db.session.commit()
    sign_in(client, admin)
    page = give_reset_link(client, worker)
    assert page.status_code == 302
    assert "Reactivate Amara Okafor first" in client.get("/admin/users").get_data(as_text=True)
    assert db.session.scalar(select(func.count(AccessLink.id))) == 0


def test_an_admin_renames_a_person(client: FlaskClient, admin: User, worker: User) -> None:
    sign_in(client, admin)
    form = client.get(f"/admin/users/{worker.id}/edit").get_data(as_text=True)
    assert 'value="Amara Okafor"' in form
    response = client.post(
        f"/admin/users/{worker.id}/edit",
        data={"display_name": "Amara Okafor-Reid", "role": "link_worker"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert worker.display_name == "Amara Okafor-Reid" and worker.role == "link_worker"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.rename"))
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_change"))


def test_a_new_role_signs_the_person_out_and_is_audited(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    helper = make_user("link_worker", "helper", display_name="Hal Per")
    theirs = app.test_client()
    sign_in(theirs, helper)
    sign_in(client, admin)
    client.post(f"/admin/users/{helper.id}/edit", data={"display_name": "Hal Per", "role": "admin"})
    db.session.expire_all()
    assert helper.role == "admin"
    assert theirs.get("/caseload").status_code == 302  # signed out
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_change"))


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        ("worker", "admin", "is the link worker of 1 active patient"),
        ("worker", "patient", "cannot become a staff account"),
        ("admin", "link_worker", "You cannot change your own role"),
    ],
)
def test_a_role_change_that_cannot_be_made_says_why(
    client: FlaskClient, admin: User, worker: User, who: str, role: str, message: str
) -> None:
    make_patient(worker)
    person = {"worker": worker, "admin": admin}[who]
    sign_in(client, admin)
    page = client.post(
        f"/admin/users/{person.id}/edit", data={"display_name": "New Name", "role": role}
    )
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    db.session.expire_all()
    assert person.role == who.replace("worker", "link_worker")
    assert person.display_name != "New Name"
