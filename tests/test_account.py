"""Your own account: changing your password."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pwa.extensions import db
from pwa.models import AuditEvent, User
from pwa.passwords import check_password

from .conftest import PASSWORD, CheckedClient, make_user, sign_in

NEW_PASSWORD = "teapot river lantern"


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
