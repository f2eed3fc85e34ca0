"""Attack review of the patients' app work: one-time links, temporary passwords, check-ins to
look at, public help pages, self check-ins closing follow-ups, and the patient's own page.

Each test states what should hold; a failing one is a finding (see the review report).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from pwa import access_links
from pwa.extensions import db
from pwa.models import AccessLink, AuditEvent, Patient, User
from pwa.passwords import check_password

from .conftest import (
    PASSWORD,
    CheckedClient,
    make_check_in,
    make_patient,
    sign_in,
)

NEW_PASSWORD = "teapot river lantern"
TEMPORARY = "a long temporary one"
RESET_CODE = re.compile(r'data-testid="reset-code">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<')
INVITE_CODE = re.compile(r'data-testid="invitation-code">([0-9A-Z-]+)<')


def fresh(app: Flask) -> FlaskClient:
    app.test_client_class = CheckedClient
    return app.test_client()


def path_of(code: str) -> str:
    return "/set-password/" + code.replace("-", "")


def give_reset_link(client: FlaskClient, user: User) -> str:
    page = client.post(f"/admin/users/{user.id}/reset-link").get_data(as_text=True)
    found = RESET_CODE.search(page)
    assert found, page
    return found.group(1)


def invite(client: FlaskClient, patient: Patient) -> str:
    page = client.post(f"/patients/{patient.id}/invitation").get_data(as_text=True)
    found = INVITE_CODE.search(page)
    assert found, page
    return found.group(1)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- one-time links and deactivation ---------------------------------------------------------


def test_a_reset_link_given_before_a_deactivation_does_not_reopen_the_account(
    app: Flask, client: FlaskClient, admin: User, worker: User
) -> None:
    """A leaver's outstanding reset link must die with their access: the admin turned them off.

    Today `find` never looks at the account's `active` flag for a reset link, and `_use`
    reactivates an inactive account, so the link silently undoes the deactivation.
    """
    sign_in(client, admin)
    code = give_reset_link(client, worker)
    client.post(f"/admin/users/{worker.id}/active")  # deactivate: they have left
    db.session.expire_all()
    assert not db.session.get(User, worker.id).active  # type: ignore[union-attr]

    leaver = fresh(app)
    used = leaver.post(path_of(code), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.expire_all()
    account = db.session.get(User, worker.id)
    assert account is not None
    assert not account.active, "a reset link reactivated a deactivated account"
    assert used.status_code in (404, 409)
    assert leaver.get("/caseload").status_code != 200


def test_an_invitation_given_before_an_admin_deactivates_the_patient_does_not_reopen_it(
    app: Flask, client: FlaskClient, admin: User, worker: User, patient: Patient,
    patient_user: User,
) -> None:  # fmt: skip
    """An admin turns a patient's account off in Users (not "turn access off" on the record,
    which cancels invitations): the invitation the link worker gave earlier still works and
    reactivates the account the admin just closed."""
    sign_in(client, worker)
    code = invite(client, patient)  # e.g. they forgot their password
    client.post("/sign-out")
    sign_in(client, admin)
    client.post(f"/admin/users/{patient_user.id}/active")
    db.session.expire_all()
    assert not db.session.get(User, patient_user.id).active  # type: ignore[union-attr]

    used = fresh(app).post(path_of(code), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.expire_all()
    assert not db.session.get(User, patient_user.id).active, (  # type: ignore[union-attr]
        f"an invitation made before the admin's deactivation reopened it ({used.status_code})"
    )


# --- temporary passwords and the password policy --------------------------------------------


@pytest.fixture
def newcomer(client: FlaskClient, admin: User) -> User:
    """A link worker an admin has just created, with a temporary password the admin knows."""
    sign_in(client, admin)
    details = {"display_name": "Chidi Obi", "username": "chidi", "role": "link_worker",
               "password": TEMPORARY}  # fmt: skip
    client.post("/admin/users/new", data=details)
    client.post("/sign-out")
    user = db.session.scalar(select(User).where(User.username == "chidi"))
    assert user is not None and user.must_change_password
    return user


def test_a_temporary_password_cannot_be_chosen_again_as_ones_own(
    client: FlaskClient, newcomer: User
) -> None:
    """/choose-password accepts the temporary password itself and clears the flag: the admin
    who typed it still knows the person's password, which is what the step prevents."""
    sign_in(client, newcomer, TEMPORARY)
    client.post("/choose-password", data={"password": TEMPORARY, "confirm": TEMPORARY})
    db.session.expire_all()
    user = db.session.get(User, newcomer.id)
    assert user is not None
    assert user.must_change_password, "the temporary password was accepted as the new one"
    assert client.get("/caseload").status_code == 302


def test_a_new_patient_cannot_use_their_chosen_username_in_their_password(
    app: Flask, client: FlaskClient, worker: User
) -> None:
    """The policy refuses a password that holds the person's username (README, password_policy),
    but on an invitation the username typed in the same form is never given to the policy."""
    patient = make_patient(worker, given_name="Zoe", family_name="Ng")
    sign_in(client, worker)
    code = invite(client, patient)
    weak = "quietorchard77"
    page = fresh(app).post(path_of(code), data={"username": "quietorchard", "password": weak,
                                                "confirm": weak})  # fmt: skip
    refused = "uses your name or username" in page.get_data(as_text=True)
    assert page.status_code == 200 and refused, (
        f"{page.status_code}: a password built from the new username was accepted"
    )
    assert db.session.scalar(select(User).where(User.username == "quietorchard")) is None


@pytest.mark.parametrize("weak", ["Linkworker123!", "linkworker2024", "mywellbeing123"])
def test_the_password_policy_refuses_the_services_own_name(weak: str, app: Flask) -> None:
    """NIST SP 800-63B 3.1.1.2 (which the policy cites) asks for context-specific words, such as
    the name of the service, to be refused; zxcvbn scores these 3-4 as it is never told them."""
    from pwa.password_policy import password_problem

    assert password_problem(weak, personal=["Chidi Obi", "chidi"]) is not None


# --- caching of pages that name the signed-in person ----------------------------------------


@pytest.mark.parametrize("path", ["/help", "/about-link-workers"])
def test_a_public_help_page_drawn_for_a_signed_in_person_is_never_stored(
    client: FlaskClient, patient_user: User, path: str
) -> None:
    """Signed in, the help pages carry the person's name, their id and a CSRF token (the layout
    draws them), yet are sent `Cache-Control: no-cache`, which lets any cache store them.
    DESIGN: every response behind sign-in carries no-store; the anonymous copy the service worker
    keeps is fetched without cookies, so it is unaffected by no-store here."""
    sign_in(client, patient_user)
    response = client.get(path)
    body = response.get_data(as_text=True)
    personal = patient_user.display_name in body or 'name="csrf-token"' in body
    assert not personal or "no-store" in response.headers.get("Cache-Control", ""), (
        f"{path} names {patient_user.display_name} but says "
        f"Cache-Control: {response.headers.get('Cache-Control')}"
    )


# --- more on one-time links --------------------------------------------------------------------


def test_a_reset_link_stops_working_once_its_person_changes_their_own_password(
    app: Flask, client: FlaskClient, admin: User, worker: User
) -> None:
    """The person remembered their password, or changed it because the link was sent somewhere
    it should not have been: the outstanding reset link should stop (OWASP Forgot Password
    cheat sheet: a token is invalidated once the password it would reset has changed)."""
    sign_in(client, admin)
    code = give_reset_link(client, worker)
    client.post("/sign-out")
    own = fresh(app)
    sign_in(own, worker)
    changed = own.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})  # fmt: skip
    assert changed.status_code == 302
    other = "orchard velvet compass"
    fresh(app).post(path_of(code), data={"password": other, "confirm": other})
    db.session.expire_all()
    account = db.session.get(User, worker.id)
    assert account is not None and check_password(account.password_hash, NEW_PASSWORD), (
        "a reset link given before the person changed their own password replaced it"
    )


def test_a_tried_code_that_opens_nothing_is_audited(app: Flask) -> None:
    """A one-time code is a credential: DESIGN asks that every failed sign-in be audited, and the
    module says every step is. Guessing or replaying codes leaves no trace today (only a
    throttle counter, which expires)."""
    before = len(actions())
    assert fresh(app).get("/set-password/ABCDEFGHJKMN").status_code == 404
    tried = fresh(app).post(
        "/set-password/ABCDEFGHJKMN", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert tried.status_code == 404
    assert len(actions()) > before, "no audit row for a code that opened nothing"


def test_turning_access_off_for_a_patient_with_only_an_invitation_is_audited(
    app: Flask, client: FlaskClient, worker: User
) -> None:
    """Turning app access off on a patient who was invited but has no account yet cancels the
    invitation, but writes no audit row (cancel audits `patient.invitation_cancel`; this path
    audits only when there is an account)."""
    patient = make_patient(worker, given_name="Ola", family_name="Ade")
    sign_in(client, worker)
    code = invite(client, patient)
    client.post(f"/patients/{patient.id}/app-access/off")
    assert fresh(app).get(path_of(code)).status_code == 404  # it did stop working
    done = actions()
    assert "patient.invitation_cancel" in done or "patient.app_access_off" in done, done


def test_one_code_cannot_be_spent_twice_even_when_both_tries_found_it_open(
    app: Flask, worker: User
) -> None:
    """Held: two requests that both passed `find` race to `spend`; the database picks one."""
    patient = make_patient(worker)
    _, code = access_links.invite(patient, worker)
    db.session.commit()
    first, second = access_links.find(code), access_links.find(code)
    assert isinstance(first, AccessLink) and isinstance(second, AccessLink)
    assert access_links.spend(first) is True
    assert access_links.spend(second) is False


@pytest.mark.parametrize(
    "route",
    [
        "/patients/{patient}/invitation",
        "/patients/{patient}/invitation/cancel",
        "/patients/{patient}/app-access/off",
        "/patients/{patient}/check-ins/{check_in}/seen",
        "/admin/users/{worker}/reset-link",
    ],
)
def test_the_new_buttons_refuse_a_post_without_the_csrf_token(
    app: Flask, client: FlaskClient, admin: User, worker: User, patient: Patient, route: str
) -> None:
    """Held: each new button's POST is refused without its CSRF token (a cross-site form)."""
    check_in = make_check_in(patient, worker)
    check_in.source = "self"
    db.session.commit()
    sign_in(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        path = route.format(patient=patient.id, check_in=check_in.id, worker=worker.id)
        answer = client.post(path)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code == 400
    assert db.session.scalar(select(func.count(AccessLink.id))) == 0


def test_a_code_post_from_another_site_is_refused(
    app: Flask, client: FlaskClient, worker: User
) -> None:
    """Held: a cross-site form cannot spend a code (and so sign a victim's browser in as the
    attacker's own patient account: login CSRF)."""
    patient = make_patient(worker)
    _, code = access_links.invite(patient, worker)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        answer = fresh(app).post(f"/set-password/{code}", data={
            "username": "mallory", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})  # fmt: skip
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code in (200, 400)
    assert db.session.scalar(select(User).where(User.username == "mallory")) is None


def test_an_invitation_given_before_a_discharge_does_not_come_back_with_a_reopening(
    app: Flask, client: FlaskClient, admin: User, worker: User
) -> None:
    """A discharge makes the invitation refuse (find checks status), but does not revoke it: when
    an admin reopens the record within the invitation's 7 days, a code handed out before the
    discharge (perhaps to the wrong person, the reason for the discharge) works again."""
    from pwa import casework

    patient = make_patient(worker, given_name="Rui", family_name="Costa")
    sign_in(client, worker)
    code = invite(client, patient)
    client.post(f"/patients/{patient.id}/discharge", data={"reason": "goals_met"})
    assert fresh(app).get(path_of(code)).status_code == 404
    db.session.expire_all()
    reopened = db.session.get(Patient, patient.id)
    assert reopened is not None and reopened.status == "discharged"
    casework.change_patient(admin, reopened, {"status": "active"})
    db.session.commit()
    assert fresh(app).get(path_of(code)).status_code == 404, (
        "an invitation from before the discharge works again after the record is reopened"
    )
