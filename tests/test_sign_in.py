"""Signing in and out, with CSRF switched on as in production."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AuditEvent, User

from .conftest import PASSWORD, csrf_token_from, make_user


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"WTF_CSRF_ENABLED": True, "SIGN_IN_LIMITS": "3 per 15 minutes"}


def post_sign_in(client: FlaskClient, username: str, password: str, **kwargs: Any) -> Any:
    # Signed in already, /sign-in redirects home: any page's token serves.
    token = csrf_token_from(client.get("/sign-in", follow_redirects=True))
    return client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token}, **kwargs
    )


def test_it_signs_a_link_worker_in_to_their_caseload(client: FlaskClient, worker: User) -> None:
    response = post_sign_in(client, "amara", PASSWORD, follow_redirects=True)
    assert response.request.path == "/caseload"
    assert "Your caseload" in response.get_data(as_text=True)


def test_it_sends_a_patient_to_their_progress(client: FlaskClient, patient_user: User) -> None:
    response = post_sign_in(client, "pat", PASSWORD, follow_redirects=True)
    assert response.request.path == "/my-progress"


def test_usernames_are_not_case_sensitive(client: FlaskClient, worker: User) -> None:
    assert post_sign_in(client, "  Amara ", PASSWORD).status_code == 302


def test_it_refuses_a_form_without_the_csrf_token(client: FlaskClient, worker: User) -> None:
    response = client.post("/sign-in", data={"username": "amara", "password": PASSWORD})
    assert response.status_code == 400
    assert "Your session has expired" in response.get_data(as_text=True)
    assert client.get("/caseload").status_code == 302


def test_a_page_form_without_the_token_changes_nothing(
    client: FlaskClient, admin: User, worker: User
) -> None:
    post_sign_in(client, "admin", PASSWORD)
    response = client.post(f"/admin/users/{worker.id}/active")
    assert response.status_code == 400
    db.session.refresh(worker)
    assert worker.active


def test_a_wrong_password_says_so_without_saying_which_part(
    client: FlaskClient, worker: User
) -> None:
    response = post_sign_in(client, "amara", "wrong password")
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "The username or password is not right" in page
    assert 'value="amara"' in page  # what they typed is kept
    unknown = post_sign_in(client, "nobody", "wrong password").get_data(as_text=True)
    assert "The username or password is not right" in unknown


def test_empty_fields_get_messages_next_to_them(client: FlaskClient) -> None:
    page = post_sign_in(client, "", "").get_data(as_text=True)
    assert "Enter your username" in page
    assert "Enter your password" in page
    assert 'href="#username"' in page


def test_repeated_failures_lock_the_username_out(client: FlaskClient, worker: User) -> None:
    for _ in range(3):
        assert post_sign_in(client, "amara", "guess").status_code == 200
    response = post_sign_in(client, "amara", PASSWORD)
    assert response.status_code == 429
    assert "Too many wrong passwords for this username" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert client.get("/caseload").status_code == 302
    failures = db.session.scalar(
        db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "sign_in.failed")
    )
    assert failures == 3


def test_successful_sign_ins_do_not_count_towards_the_limit(
    client: FlaskClient, worker: User
) -> None:
    for _ in range(5):
        assert post_sign_in(client, "amara", PASSWORD).status_code == 302


def test_a_deactivated_user_cannot_sign_in(client: FlaskClient) -> None:
    make_user("link_worker", "gone", active=False)
    page = post_sign_in(client, "gone", PASSWORD).get_data(as_text=True)
    assert "This account has been deactivated" in page
    assert client.get("/caseload").status_code == 302


def test_it_follows_next_only_within_the_site(client: FlaskClient, worker: User) -> None:
    token = csrf_token_from(client.get("/sign-in"))
    data = {"username": "amara", "password": PASSWORD, "csrf_token": token}
    assert client.post("/sign-in?next=/assets", data=data).location == "/assets"
    client.post("/sign-out", data={"csrf_token": csrf_token_from(client.get("/caseload"))})
    data["csrf_token"] = csrf_token_from(client.get("/sign-in", follow_redirects=True))
    assert client.post("/sign-in?next=//evil.example/x", data=data).location == "/"


def test_signing_out_ends_the_session(client: FlaskClient, worker: User) -> None:
    post_sign_in(client, "amara", PASSWORD)
    token = csrf_token_from(client.get("/caseload"))
    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=True)
    assert "You have signed out" in response.get_data(as_text=True)
    assert client.get("/caseload").status_code == 302


def test_a_deactivated_users_session_stops_working(client: FlaskClient, worker: User) -> None:
    post_sign_in(client, "amara", PASSWORD)
    worker.active = False
    db.session.commit()
    assert client.get("/caseload").status_code == 302


def test_the_session_cookie_is_secure_and_http_only(client: FlaskClient, worker: User) -> None:
    response = post_sign_in(client, "amara", PASSWORD)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"lw_session", "lw_known_browser"}
    for cookie in cookies.values():
        assert "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookies["lw_session"]
    assert "SameSite=Strict" in cookies["lw_known_browser"]


def test_passwords_are_stored_as_argon2id(worker: User) -> None:
    assert worker.password_hash.startswith("$argon2id$")
    assert PASSWORD not in worker.password_hash


def test_the_sign_in_page_sends_a_signed_in_person_home(client: FlaskClient, worker: User) -> None:
    post_sign_in(client, "amara", PASSWORD)
    assert client.get("/sign-in").location == "/"
