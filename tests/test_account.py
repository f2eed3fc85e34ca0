"""Your own account: changing your password, and choosing your own in place of a temporary one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pwa.extensions import db
from pwa.models import AuditEvent, Device, User
from pwa.passwords import check_password
from pwa.static_files import url_path

from .conftest import PASSWORD, CheckedClient, make_user, sign_in

NEW_PASSWORD = "teapot river lantern"
TEMPORARY = "a long temporary one"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Small limits, so a test can spend them: the browser that signed in counts as known.
    return app_config | {
        "SIGN_IN_KNOWN_BROWSER_LIMITS": "3 per 15 minutes",
        "SIGN_IN_LIMITS": "3 per 15 minutes",
    }


def browser(app: Flask, user: User, password: str = PASSWORD) -> FlaskClient:
    """Another browser, signed in as `user`."""
    app.test_client_class = CheckedClient
    other = app.test_client()
    assert sign_in(other, user, password).status_code == 302
    return other


def change(
    client: FlaskClient,
    current: str = PASSWORD,
    new: str = NEW_PASSWORD,
    confirm: str | None = None,
) -> Any:
    return client.post(
        "/account/password",
        data={"current": current, "password": new, "confirm": new if confirm is None else confirm},
    )


def audited(action: str, user: User) -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == action, AuditEvent.record_id == str(user.id)
        )
    )


def password_is(user: User, password: str) -> bool:
    db.session.expire_all()
    return check_password(user.password_hash, password)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def enrol(app: Flask, username: str, password: str) -> Any:
    return app.test_client().post(
        "/api/v1/devices", json={"username": username, "password": password, "name": "Phone"}
    )


@pytest.mark.parametrize("role", ["admin", "link_worker", "patient"])
def test_everyone_finds_change_your_password_from_their_name(
    client: FlaskClient, role: str
) -> None:
    user = make_user(role, display_name="Sam Jones")
    sign_in(client, user)
    header = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert re.search(r'href="/account"[^>]*>.*?Sam Jones', header, re.S)
    account = client.get("/account").get_data(as_text=True)
    assert user.username in account and 'href="/account/password"' in account


def test_settings_has_a_way_to_change_your_password(client: FlaskClient, worker: User) -> None:
    sign_in(client, worker)
    assert 'href="/account/password"' in client.get("/settings").get_data(as_text=True)


def test_changing_your_password_keeps_this_browser_and_signs_out_the_rest(
    app: Flask, client: FlaskClient, worker: User
) -> None:
    sign_in(client, worker)
    elsewhere = browser(app, worker)
    tablet = enrol(app, "amara", PASSWORD).json["token"]
    response = change(client)
    assert response.status_code == 302 and response.location == "/account"
    assert "Your password has been changed" in client.get("/account").get_data(as_text=True)
    assert signed_in(client) and not signed_in(elsewhere)
    synced = app.test_client().post(
        "/api/v1/sync",
        json={"cursor": None, "changes": []},
        headers={"Authorization": f"Bearer {tablet}"},
    )
    assert synced.status_code == 401 and synced.json["error"]["code"] == "token_expired"
    assert password_is(worker, NEW_PASSWORD)
    assert sign_in(app.test_client(), worker, PASSWORD).status_code == 200  # the old one: no
    assert sign_in(app.test_client(), worker, NEW_PASSWORD).status_code == 302
    assert audited("user.password_change", worker) == 1


def test_an_admin_changes_their_own_password_too(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    assert change(client).status_code == 302
    assert password_is(admin, NEW_PASSWORD)


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_sign_in(
    client: FlaskClient, worker: User
) -> None:
    sign_in(client, worker)
    page = change(client, current="not my password")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Your current password is not right" in text and "There is a problem" in text
    assert password_is(worker, PASSWORD)
    assert audited("sign_in.failed", worker) == 1


def test_guessing_the_current_password_is_throttled_with_signing_in(
    app: Flask, client: FlaskClient, worker: User
) -> None:
    """A session left open (or stolen) is no faster way to guess the password."""
    sign_in(client, worker)
    for guess in ("guess one", "guess two", "guess three"):
        assert change(client, current=guess).status_code == 200
    refused = change(client, current=PASSWORD)  # the right one, but the count is spent
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert password_is(worker, PASSWORD)
    # The same counter as the sign-in page's, for this browser:
    assert sign_in(client, worker).status_code == 429


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"current": ""}, "Enter your current password"),
        ({"new": "password1234"}, "Choose a password that is harder to guess"),
        ({"new": "short"}, "Your password must be at least 12 characters"),
        ({"new": "okaforamara1"}, "It uses your name or username"),
        ({"confirm": "teapot river lanterns"}, "The two passwords are not the same"),
    ],
)
def test_a_new_password_the_policy_refuses_says_why(
    client: FlaskClient, worker: User, fields: dict[str, str], message: str
) -> None:
    sign_in(client, worker)
    page = change(client, **fields)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and message in text
    assert "<title>Error: Change your password" in text
    assert password_is(worker, PASSWORD)
    assert audited("user.password_change", worker) == 0


def test_the_error_summary_lists_the_current_password_first(
    client: FlaskClient, worker: User
) -> None:
    sign_in(client, worker)
    text = client.post("/account/password", data={}).get_data(as_text=True)
    summary = text[text.index("There is a problem") :]
    assert summary.index("#current") < summary.index("#password") < summary.index("#confirm")


# --- a temporary password ---------------------------------------------------------------


@pytest.fixture
def newcomer(admin: User, client: FlaskClient) -> User:
    """A link worker an admin has just added, with a temporary password."""
    sign_in(client, admin)
    client.post(
        "/admin/users/new",
        data={
            "display_name": "Chidi Obi",
            "username": "chidi",
            "role": "link_worker",
            "password": TEMPORARY,
        },
    )
    client.post("/sign-out")
    user = db.session.scalar(select(User).where(User.username == "chidi"))
    assert user is not None and user.must_change_password
    return user


@pytest.mark.parametrize(
    "path", ["/", "/caseload", "/assets", "/settings", "/account", "/account/password"]
)
def test_a_temporary_password_leads_only_to_choosing_your_own(
    client: FlaskClient, newcomer: User, path: str
) -> None:
    sign_in(client, newcomer, TEMPORARY)
    response = client.get(path)
    assert response.status_code == 302 and response.location == "/choose-password"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/healthz", 200),
        ("/service-worker.js", 200),
        ("/offline", 200),
        ("/manifest.webmanifest", 200),
        (f"{url_path()}/app.css", 200),
        ("/help", 200),
        ("/about-link-workers", 200),
    ],
)
def test_what_holds_no_data_stays_open_with_a_temporary_password(
    client: FlaskClient, newcomer: User, path: str, status: int
) -> None:
    sign_in(client, newcomer, TEMPORARY)
    assert client.get(path).status_code == status


def test_signing_out_works_with_a_temporary_password(client: FlaskClient, newcomer: User) -> None:
    sign_in(client, newcomer, TEMPORARY)
    assert client.post("/sign-out").location == "/sign-in"
    assert client.get("/caseload").location.startswith("/sign-in")


def test_a_phone_cannot_enrol_with_a_temporary_password(
    app: Flask, client: FlaskClient, newcomer: User
) -> None:
    refused = enrol(app, "chidi", TEMPORARY)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_change_required"
    assert "temporary" in refused.json["error"]["message"]
    sign_in(client, newcomer, TEMPORARY)  # nor from a page signed in with one
    page = client.get("/choose-password").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    from_page = client.post(
        "/api/v1/devices", json={"name": "Phone"}, headers={"X-CSRFToken": token.group(1)}
    )
    assert from_page.status_code == 403
    assert from_page.json["error"]["code"] == "password_change_required"
    assert db.session.scalar(select(func.count(Device.id))) == 0
    assert audited("device.enrol_refused", newcomer) == 2


def test_after_choosing_a_password_everything_opens(
    app: Flask, client: FlaskClient, newcomer: User
) -> None:
    sign_in(client, newcomer, TEMPORARY)
    form = client.get("/choose-password")
    assert "Choose a new password" in form.get_data(as_text=True)
    assert "app-lock-pending" not in form.get_data(as_text=True)  # no PIN asked for yet
    weak = client.post(
        "/choose-password", data={"password": "password1234", "confirm": "password1234"}
    )
    assert "Choose a password that is harder to guess" in weak.get_data(as_text=True)
    done = client.post("/choose-password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/"
    assert client.get("/caseload").status_code == 200  # the same browser, still signed in
    assert client.get("/choose-password").location == "/"  # nothing left to choose
    db.session.expire_all()
    assert not newcomer.must_change_password
    assert audited("user.temporary_password_replaced", newcomer) == 1
    assert sign_in(app.test_client(), newcomer, TEMPORARY).status_code == 200
    assert enrol(app, "chidi", NEW_PASSWORD).status_code == 201
