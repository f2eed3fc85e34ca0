"""Sessions end on the server: a cookie copied before sign-out, a password change, a role change
or a deactivation is worth nothing after it; phone tokens end with what covers them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.accounts import RoleChangeRefused, change_password, change_role
from pwa.devices import token_digest
from pwa.extensions import db
from pwa.models import AuditEvent, Device, PushSubscription, User, WebSession, utcnow

from .conftest import PASSWORD, CheckedClient, csrf_token_from, make_patient, make_user

NEW_PASSWORD = "a different long passphrase"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"WTF_CSRF_ENABLED": True}


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> Any:
    token = csrf_token_from(client.get("/sign-in"))
    return client.post("/sign-in", data={"username": user.username, "password": password,
                                         "csrf_token": token})  # fmt: skip


def signed_in_client(app: Flask, user: User, password: str = PASSWORD) -> FlaskClient:
    app.test_client_class = CheckedClient
    client = app.test_client()
    assert sign_in(client, user, password).status_code == 302
    return client


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this one's session cookie, as a thief would."""
    thief = app.test_client()
    cookie = client.get_cookie("lw_session")
    assert cookie is not None
    thief.set_cookie("lw_session", cookie.value)
    return thief


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/caseload")
    if response.status_code == 302:
        assert response.location.startswith("/sign-in")
        return False
    assert response.status_code == 200
    return True


def sign_out(client: FlaskClient) -> None:
    token = csrf_token_from(client.get("/caseload"))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302


def enrol_from_page(client: FlaskClient) -> str:
    token = csrf_token_from(client.get("/caseload"))
    response = client.post("/api/v1/devices", json={"name": "Phone"},
                           headers={"X-CSRFToken": token})  # fmt: skip
    assert response.status_code == 201
    return str(response.json["token"])


def enrol_with_password(app: Flask, username: str, password: str = PASSWORD) -> str:
    response = app.test_client().post(
        "/api/v1/devices", json={"username": username, "password": password, "name": "Tablet"}
    )
    assert response.status_code == 201
    return str(response.json["token"])


def sync_status(app: Flask, token: str) -> tuple[int, str | None]:
    response = app.test_client().post(
        "/api/v1/sync", json={"cursor": None, "changes": []},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    code = response.json.get("error", {}).get("code") if response.status_code != 200 else None
    return response.status_code, code


def test_a_cookie_copied_before_sign_out_stops_working_at_once(app: Flask, worker: User) -> None:
    client = signed_in_client(app, worker)
    thief = copy_of(app, client)
    assert is_signed_in(thief)  # the copy works while the session lasts
    sign_out(client)
    assert not is_signed_in(thief)
    assert not is_signed_in(client)
    ended = db.session.scalar(select(WebSession).where(WebSession.user_id == worker.id))
    assert ended is not None and ended.end_reason == "signed_out"


def test_signing_out_leaves_the_persons_other_sessions_alone(app: Flask, worker: User) -> None:
    phone, desk = signed_in_client(app, worker), signed_in_client(app, worker)
    sign_out(phone)
    assert not is_signed_in(phone)
    assert is_signed_in(desk)


def test_a_cookie_copied_before_a_password_change_stops_working(app: Flask, worker: User) -> None:
    client = signed_in_client(app, worker)
    thief = copy_of(app, client)
    change_password(worker, NEW_PASSWORD)  # as the admin's reset or `flask set-password` does
    db.session.commit()
    assert not is_signed_in(thief)
    assert not is_signed_in(client)
    assert sign_in(app.test_client(), worker, PASSWORD).status_code == 200  # old one refused
    assert is_signed_in(signed_in_client(app, worker, NEW_PASSWORD))


def test_changing_your_own_password_keeps_only_the_session_that_did_it(
    app: Flask, worker: User
) -> None:
    mine, elsewhere = signed_in_client(app, worker), signed_in_client(app, worker)
    my_phone = enrol_from_page(mine)
    other_phone = enrol_from_page(elsewhere)
    tablet = enrol_with_password(app, "amara")
    with app.test_request_context():
        keep = db.session.scalar(
            select(WebSession).join(Device, Device.web_session_id == WebSession.id)
            .where(Device.token_hash == token_digest(my_phone))
        )  # fmt: skip
        change_password(worker, NEW_PASSWORD, keep=keep)
        db.session.commit()
    assert is_signed_in(mine) and not is_signed_in(elsewhere)
    assert sync_status(app, my_phone) == (200, None)
    assert sync_status(app, other_phone) == (401, "token_expired")
    assert sync_status(app, tablet) == (401, "token_expired")


def test_a_role_change_ends_every_session_and_phone(app: Flask, admin: User) -> None:
    helper = make_user("link_worker", "helper")
    client = signed_in_client(app, helper)
    thief = copy_of(app, client)
    phone = enrol_from_page(client)
    change_role(helper, "admin")
    db.session.commit()
    assert not is_signed_in(client) and not is_signed_in(thief)
    assert sync_status(app, phone) == (401, "token_expired")
    fresh = signed_in_client(app, helper)
    assert is_signed_in(fresh)
    assert db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "user.role_change", AuditEvent.record_id == str(helper.id)
        )
    )


@pytest.mark.parametrize(
    ("before", "after", "says"),
    [
        ("link_worker", "patient", "cannot become"),
        ("patient", "admin", "cannot become"),
        ("link_worker", "admin", "active patient"),
    ],
)
def test_role_changes_that_would_strand_records_are_refused(
    app: Flask, before: str, after: str, says: str
) -> None:
    person = make_user(before)
    if before == "link_worker":
        make_patient(person)
    with pytest.raises(RoleChangeRefused, match=says):
        change_role(person, after)
    db.session.rollback()
    assert db.session.get(User, person.id).role == before  # type: ignore[union-attr]


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    app: Flask, admin: User, worker: User
) -> None:
    client = signed_in_client(app, worker)
    thief = copy_of(app, client)
    admin_client = signed_in_client(app, admin)
    for _ in range(2):  # off, then on again
        token = csrf_token_from(admin_client.get("/admin/users"))
        admin_client.post(f"/admin/users/{worker.id}/active", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(User, worker.id).active  # type: ignore[union-attr]
    assert not is_signed_in(client) and not is_signed_in(thief)


def test_a_session_ends_a_working_day_after_sign_in_however_busy(app: Flask, worker: User) -> None:
    client = signed_in_client(app, worker)
    row = db.session.scalar(select(WebSession).where(WebSession.user_id == worker.id))
    assert row is not None
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    row.created_at = utcnow() - lifetime + timedelta(minutes=1)
    db.session.commit()
    assert is_signed_in(client)
    row.created_at = utcnow() - lifetime - timedelta(minutes=1)
    row.last_seen_at = utcnow()
    db.session.commit()
    assert not is_signed_in(client)


def test_a_web_sign_out_without_javascript_ends_the_phones_that_session_enrolled(
    app: Flask, worker: User
) -> None:
    client = signed_in_client(app, worker)
    other = signed_in_client(app, worker)
    this_phone = enrol_from_page(client)
    other_phone = enrol_from_page(other)
    tablet = enrol_with_password(app, "amara")
    device = db.session.scalar(select(Device).where(Device.token_hash == token_digest(this_phone)))
    assert device is not None
    db.session.add(PushSubscription(device_id=device.id, endpoint="https://fcm.googleapis.com/x",
                                    p256dh="k", auth="a"))  # fmt: skip
    db.session.commit()
    sign_out(client)  # a plain form post: no script told the server anything about the phone
    # 401, not 403: the phone keeps every record, and carries on once its person signs in.
    assert sync_status(app, this_phone) == (401, "token_expired")
    assert sync_status(app, other_phone) == (200, None)
    assert sync_status(app, tablet) == (200, None)
    assert db.session.scalar(select(PushSubscription.id)) is None  # no reminders to it either


def test_a_phone_token_has_an_absolute_lifetime_as_well_as_an_idle_one(
    app: Flask, worker: User
) -> None:
    token = enrol_with_password(app, "amara")
    device = db.session.scalar(select(Device).where(Device.token_hash == token_digest(token)))
    assert device is not None
    device.created_at = utcnow() - timedelta(days=app.config["DEVICE_MAX_DAYS"], minutes=1)
    device.last_seen_at = utcnow()  # in use every day
    db.session.commit()
    assert sync_status(app, token) == (401, "token_expired")


def test_a_deactivated_persons_phones_are_revoked_not_just_signed_out(
    app: Flask, admin: User, worker: User
) -> None:
    token = enrol_with_password(app, "amara")
    admin_client = signed_in_client(app, admin)
    csrf = csrf_token_from(admin_client.get("/admin/users"))
    admin_client.post(f"/admin/users/{worker.id}/active", data={"csrf_token": csrf})
    assert sync_status(app, token) == (403, "device_revoked")


def test_a_forged_or_unknown_session_key_is_just_signed_out(app: Flask, worker: User) -> None:
    client = signed_in_client(app, worker)
    db.session.execute(db.delete(WebSession))
    db.session.commit()
    assert not is_signed_in(client)
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = str(worker.id)  # the old cookie's shape: a user id, not a key
    assert not is_signed_in(forged)


@pytest.mark.parametrize("path", ["/offline", "/sync-status", "/service-worker.js",
                                  "/manifest.webmanifest", "/no-such-page", "/caseload",
                                  "/health"])  # fmt: skip
def test_data_free_and_anonymous_error_answers_never_set_the_session_cookie(
    app: Flask, path: str
) -> None:
    """Such an answer can land after a sign-in that happened meanwhile: it must not undo it."""
    app.test_client_class = CheckedClient
    browser = app.test_client()
    csrf_token_from(browser.get("/sign-in"))  # an anonymous session, as the sign-in page gives
    assert browser.get_cookie("lw_session") is not None
    response = browser.get(path)
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lw_session=")]


def test_a_page_that_needs_signing_in_sends_you_to_sign_in_and_back(
    app: Flask, worker: User
) -> None:
    app.test_client_class = CheckedClient
    browser = app.test_client()
    page = browser.get("/caseload", follow_redirects=True)
    assert page.request.path == "/sign-in"
    assert "Sign in to continue" in page.get_data(as_text=True)
    token = csrf_token_from(page)
    answer = browser.post("/sign-in?next=/caseload", data={
        "username": "amara", "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert answer.location == "/caseload"


def test_only_a_recent_sign_in_can_enrol_a_phone_from_its_page(app: Flask, worker: User) -> None:
    """A phone's token outlives the session by weeks: a session cookie copied hours ago must
    not mint one (a copy replayed within the session still reads pages until it ends)."""
    client = signed_in_client(app, worker)
    row = db.session.scalar(select(WebSession).where(WebSession.user_id == worker.id))
    assert row is not None
    row.created_at = utcnow() - timedelta(minutes=app.config["ENROL_AFTER_SIGN_IN_MINUTES"] + 1)
    db.session.commit()
    token = csrf_token_from(client.get("/caseload"))
    refused = client.post("/api/v1/devices", json={"name": "Phone"},
                          headers={"X-CSRFToken": token})  # fmt: skip
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "sign_in_again"
    assert db.session.scalar(select(Device.id)) is None
    fresh = signed_in_client(app, worker)
    assert enrol_from_page(fresh)


def test_sign_out_clears_the_site_only_when_the_page_says_the_phone_is_empty(
    app: Flask, worker: User
) -> None:
    """Without the page's word (no JavaScript, or records still waiting) nothing is cleared."""
    for said, header in ((None, None), ("yes", '"cache", "storage"')):
        client = signed_in_client(app, worker)
        form = {"csrf_token": csrf_token_from(client.get("/caseload"))}
        if said:
            form["phone_cleared"] = said
        answer = client.post("/sign-out", data=form)
        assert answer.status_code == 302
        assert answer.headers.get("Clear-Site-Data") == header
