"""Inviting a patient to the app, and using one-time codes (invitations and resets alike)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa import access_links
from pwa.extensions import db
from pwa.models import AccessLink, AuditEvent, Patient, User, utcnow
from pwa.passwords import check_password

from .conftest import make_patient, make_user, sign_in

NEW_PASSWORD = "teapot river lantern"


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def invite(client: FlaskClient, patient: Patient) -> tuple[str, str]:
    """Invite through the record's button; return the code (as shown) and the link's path."""
    response = client.post(f"/patients/{patient.id}/invitation")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = re.search(r'data-testid="invitation-code">([0-9A-Z-]+)<', page)
    link = re.search(r'invitation-link">https?://[^/]+(/set-password/[0-9A-Z]+)<', page)
    assert code and link, page
    return code.group(1), link.group(1)


@pytest.fixture
def new_patient(worker: User) -> Patient:
    return make_patient(worker, given_name="Patricia", family_name="Kaur")


def test_the_whole_invitation_from_the_record_to_the_patients_own_progress(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    record = client.get(f"/patients/{new_patient.id}").get_data(as_text=True)
    assert "No account yet" in record and "Invite to the app" in record
    code, path = invite(client, new_patient)
    assert len(code) == 14 and path.endswith(code.replace("-", ""))
    record = client.get(f"/patients/{new_patient.id}").get_data(as_text=True)
    assert "works until" in record and code not in record  # shown once, on the invite's answer
    client.post("/sign-out")

    patient_phone = app.test_client()
    form = patient_phone.get(path)
    assert form.status_code == 200 and "Set up your account" in form.get_data(as_text=True)
    assert 'value="patricia.k"' in form.get_data(as_text=True)  # a username they may keep
    done = patient_phone.post(path, data={"username": "patricia.k", "password": NEW_PASSWORD,
                                          "confirm": NEW_PASSWORD})  # fmt: skip
    assert done.status_code == 302
    progress = patient_phone.get("/", follow_redirects=True).get_data(as_text=True)
    assert "My progress" in progress and "Welcome" in progress

    account = db.session.scalar(select(User).where(User.username == "patricia.k"))
    assert account is not None and account.role == "patient"
    assert db.session.get(Patient, new_patient.id).user_id == account.id  # type: ignore[union-attr]
    assert check_password(account.password_hash, NEW_PASSWORD)
    assert {"patient.invite", "user.create", "patient.invitation_used", "sign_in"} <= set(actions())

    # The code works once.
    again = app.test_client().get(path)
    assert again.status_code == 404 and "already been used" in again.get_data(as_text=True)
    record = sign_in(client, worker) and client.get(f"/patients/{new_patient.id}")
    assert "username patricia.k" in record.get_data(as_text=True)


def test_a_typed_code_is_read_as_people_type_it_and_never_put_in_a_url(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    code, _ = invite(client, new_patient)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    phone = app.test_client()
    answer = phone.post("/join", data={"code": typed})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Set up your account" in page
    assert "Enter a password" not in page  # shown blank, not as a failed try
    assert f'name="code" value="{code.replace("-", "")}"' in page  # in the form, not a URL
    done = phone.post("/join", data={"code": typed, "username": "pkaur", "password": NEW_PASSWORD,
                                     "confirm": NEW_PASSWORD})  # fmt: skip
    assert done.status_code == 302 and done.headers["Location"] == "/"
    wrong = app.test_client().post("/join", data={"code": "not a code"})
    assert "12 letters and numbers" in wrong.get_data(as_text=True)


def test_an_invitation_expires(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    _, path = invite(client, new_patient)
    link = db.session.scalar(select(AccessLink))
    assert link is not None
    assert timedelta(days=6, hours=23) < link.expires_at - utcnow() <= timedelta(days=7)
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    answer = app.test_client().post(path, data={"username": "pk", "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})  # fmt: skip
    assert answer.status_code == 404 and "expired" in answer.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "pk")) is None


def test_a_new_invitation_or_a_cancel_stops_the_old_one(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    _, first = invite(client, new_patient)
    _, second = invite(client, new_patient)
    assert "replaced or cancelled" in app.test_client().get(first).get_data(as_text=True)
    assert app.test_client().get(second).status_code == 200
    client.post(f"/patients/{new_patient.id}/invitation/cancel")
    assert app.test_client().get(second).status_code == 404
    assert "patient.invitation_cancel" in actions()


def test_someone_signed_in_as_another_person_cannot_use_an_invitation(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient, patient_user: User
) -> None:
    sign_in(client, worker)
    _, path = invite(client, new_patient)
    for who in (patient_user, worker):
        other = app.test_client()
        sign_in(other, who)
        assert other.get(path).status_code == 409
        refused = other.post(path, data={"username": "sneaky", "password": NEW_PASSWORD,
                                         "confirm": NEW_PASSWORD})  # fmt: skip
        assert refused.status_code == 409 and "signed in as" in refused.get_data(as_text=True)
    assert db.session.get(Patient, new_patient.id).user_id is None  # type: ignore[union-attr]
    assert app.test_client().get(path).status_code == 200  # still good for its patient


def test_a_weak_password_is_refused_with_the_reason_and_the_code_still_works(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    _, path = invite(client, new_patient)
    phone = app.test_client()
    for weak, reason in (("password1234", "very common password"),
                         ("patricia1960", "uses your name"),
                         ("short", "at least 12 characters")):  # fmt: skip
        page = phone.post(path, data={"username": "pk", "password": weak, "confirm": weak})
        assert reason in page.get_data(as_text=True), weak
    mismatch = phone.post(path, data={"username": "pk", "password": NEW_PASSWORD,
                                      "confirm": NEW_PASSWORD + "x"})  # fmt: skip
    assert "not the same" in mismatch.get_data(as_text=True)
    assert db.session.scalar(select(AccessLink.used_at)) is None


def test_a_taken_username_is_asked_again_without_spending_the_code(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    make_user("patient", "patricia.k")
    sign_in(client, worker)
    _, path = invite(client, new_patient)
    phone = app.test_client()
    assert 'value="patricia.k"' not in phone.get(path).get_data(as_text=True)
    page = phone.post(path, data={"username": "patricia.k", "password": NEW_PASSWORD,
                                  "confirm": NEW_PASSWORD})  # fmt: skip
    assert "That username is taken" in page.get_data(as_text=True)
    ok = phone.post(path, data={"username": "patricia.kaur", "password": NEW_PASSWORD,
                                "confirm": NEW_PASSWORD})  # fmt: skip
    assert ok.status_code == 302


def test_turning_access_off_and_inviting_again_gives_the_same_account_back(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    _, path = invite(client, new_patient)
    phone = app.test_client()
    phone.post(path, data={"username": "patricia.k", "password": NEW_PASSWORD,
                           "confirm": NEW_PASSWORD})  # fmt: skip
    assert phone.get("/my-progress").status_code == 200
    client.post(f"/patients/{new_patient.id}/app-access/off")
    assert phone.get("/my-progress").status_code == 302  # signed out everywhere
    account = db.session.scalar(select(User).where(User.username == "patricia.k"))
    assert account is not None and not account.active
    _, again = invite(client, new_patient)
    form = app.test_client().get(again).get_data(as_text=True)
    assert "Your username is <strong>patricia.k</strong>" in form
    other = "lantern teapot orchard"
    used = app.test_client().post(again, data={"password": other, "confirm": other})
    assert used.status_code == 302
    db.session.refresh(account)
    assert account.active and check_password(account.password_hash, other)
    assert db.session.scalar(select(db.func.count(User.id)).where(User.role == "patient")) == 1
    assert "patient.app_access_off" in actions()


def test_only_staff_who_may_change_the_patient_can_invite(
    app: Flask, client: FlaskClient, other_worker: User, new_patient: Patient, patient_user: User
) -> None:
    # Another worker learns nothing of a patient not theirs; a patient has no staff pages.
    for who, status in ((other_worker, 404), (patient_user, 403)):
        caller = app.test_client()
        sign_in(caller, who)
        for action in ("invitation", "invitation/cancel", "app-access/off"):
            assert caller.post(f"/patients/{new_patient.id}/{action}").status_code == status
    assert db.session.scalar(select(AccessLink)) is None


def test_a_discharged_patients_invitation_stops_working(
    app: Flask, client: FlaskClient, worker: User, new_patient: Patient
) -> None:
    sign_in(client, worker)
    _, path = invite(client, new_patient)
    client.post(f"/patients/{new_patient.id}/discharge", data={"reason": "goals_met"})
    assert app.test_client().get(path).status_code == 404
    assert client.post(f"/patients/{new_patient.id}/invitation").status_code == 404


def test_tries_at_codes_are_counted_per_address(app: Flask) -> None:
    app.config["ACCESS_CODE_ADDRESS_LIMITS"] = "3 per hour"
    guesser = app.test_client()
    answers = [guesser.get(f"/set-password/{access_links.new_code()}").status_code
               for _ in range(4)]  # fmt: skip
    assert answers == [404, 404, 404, 429]


def test_two_uses_of_one_code_at_once_make_one_account(
    app: Flask, worker: User, new_patient: Patient
) -> None:
    link, _ = access_links.invite(new_patient, worker)
    db.session.commit()
    assert access_links.spend(link) is True
    assert access_links.spend(link) is False  # the database decides: the second is refused
    db.session.rollback()
