"""Who may see which page: each role against each page, checked on the server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AccessLink, AuditEvent, CheckIn, Contact, Patient, User

from .conftest import make_asset, make_check_in, make_follow_up, make_referral, sign_in

# Expected status for (anonymous, patient, link worker, admin). 302 = sent to sign in.
OWN = "own"  # a patient on the signed-in worker's caseload
OTHERS = "others"  # a patient on another worker's caseload
PAGES: list[tuple[str, tuple[int, int, int, int]]] = [
    ("/caseload", (302, 403, 200, 200)),
    ("/patients/new", (302, 403, 200, 200)),
    ("/patients/{own}", (302, 403, 200, 200)),
    ("/patients/{others}", (302, 403, 404, 200)),
    ("/caseload?status=discharged", (302, 403, 200, 200)),
    ("/patients/{own}/edit", (302, 403, 200, 200)),
    ("/patients/{others}/edit", (302, 403, 404, 200)),
    ("/patients/{own}/check-ins/new", (302, 403, 200, 200)),
    ("/patients/{others}/check-ins/new", (302, 403, 404, 200)),
    ("/patients/{own}/check-ins/{own_check_in}", (302, 403, 200, 200)),
    ("/patients/{others}/check-ins/{others_check_in}", (302, 403, 404, 200)),
    ("/patients/{own}/check-ins/{others_check_in}", (302, 403, 404, 404)),
    ("/patients/{own}/follow-ups/new", (302, 403, 200, 200)),
    ("/patients/{own}/contacts/new", (302, 403, 200, 200)),
    ("/patients/{others}/contacts/new", (302, 403, 404, 200)),
    ("/patients/{others}/follow-ups/new", (302, 403, 404, 200)),
    ("/assets", (302, 403, 200, 200)),
    ("/assets/{asset}", (302, 403, 200, 200)),
    ("/assets/{asset}/refer", (302, 403, 200, 200)),
    # Admin pages do not exist for anyone else (issue 13): a 404.
    ("/admin/users", (302, 404, 404, 200)),
    ("/admin/users/new", (302, 404, 404, 200)),
    ("/admin/users/{worker_id}/edit", (302, 404, 404, 200)),
    ("/admin/users/00000000-0000-4000-8000-000000000000/edit", (302, 404, 404, 404)),
    ("/admin/practice", (302, 404, 404, 200)),
    ("/admin/devices", (302, 404, 404, 200)),
    ("/admin/audit", (302, 404, 404, 200)),
    ("/admin/export", (302, 404, 404, 200)),
    ("/patients/{own}/fhir.json", (302, 404, 404, 200)),
    ("/admin/audit?patient={own}", (302, 404, 404, 200)),
    ("/admin/users/{worker_id}/devices", (302, 404, 404, 200)),
    ("/admin/devices/00000000-0000-4000-8000-000000000000/revoke", (302, 404, 404, 404)),
    ("/admin/assets", (302, 404, 404, 200)),
    ("/admin/assets/new", (302, 404, 404, 200)),
    ("/admin/assets/{asset}/edit", (302, 404, 404, 200)),
    ("/admin/sync-reviews", (302, 404, 404, 200)),
    ("/admin/sync-reviews/999", (302, 404, 404, 404)),
    ("/sync-status", (200, 200, 200, 200)),  # the data-free shell: the phone draws its own
    # Public, with no patient data: help must reach anyone, and a code is used before sign-in.
    ("/help", (200, 200, 200, 200)),
    ("/about-link-workers", (200, 200, 200, 200)),
    ("/join", (200, 200, 200, 200)),
    ("/set-password/K7QM4XPDR2WA", (404, 404, 404, 404)),
    ("/set-password/not-a-code", (404, 404, 404, 404)),
    ("/my-progress", (302, 200, 403, 403)),
    ("/my-progress/check-in", (302, 200, 403, 403)),
    ("/settings", (302, 200, 200, 403)),
    ("/account", (302, 200, 200, 200)),
    ("/account/password", (302, 200, 200, 200)),
    ("/patients/00000000-0000-4000-8000-000000000000", (302, 403, 404, 404)),
    ("/patients/not-a-uuid", (404, 404, 404, 404)),
]
ROLES = ("anonymous", "patient", "link_worker", "admin")


@pytest.fixture
def world(
    worker: User,
    other_worker: User,
    admin: User,
    patient_user: User,
    patient: Patient,
    others_patient: Patient,
) -> dict[str, str]:
    return {
        "own": str(patient.id),
        "others": str(others_patient.id),
        "own_check_in": str(make_check_in(patient, worker).id),
        "others_check_in": str(make_check_in(others_patient, other_worker).id),
        "asset": str(make_asset().id),
        "worker_id": str(worker.id),
    }


@pytest.fixture
def as_role(
    client: FlaskClient, admin: User, worker: User, patient_user: User
) -> Callable[[str], FlaskClient]:
    def become(role: str) -> FlaskClient:
        user = {"patient": patient_user, "link_worker": worker, "admin": admin}.get(role)
        if user is not None:
            assert sign_in(client, user).status_code == 302
        return client

    return become


@pytest.mark.parametrize(("path", "expected"), PAGES)
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_each_role_sees_only_its_pages(
    path: str, expected: tuple[int, ...], role_index: int, world: dict[str, str], as_role: Callable
) -> None:
    client = as_role(ROLES[role_index])
    response = client.get(path.format(**world))
    assert response.status_code == expected[role_index]
    if response.status_code == 302:
        assert "/sign-in" in response.location


# POSTs that change another worker's patient: a 404 for a link worker, and nothing changes.
@pytest.mark.parametrize(
    "action",
    [
        "discharge",
        "complete_follow_up",
        "update_referral",
        "check_in",
        "contact",
        "follow_up",
        "refer",
        "edit",
    ],
)
def test_a_link_worker_cannot_change_another_workers_patient(
    action: str, client: FlaskClient, worker: User, other_worker: User, others_patient: Patient
) -> None:
    follow_up = make_follow_up(others_patient)
    asset = make_asset()
    referral = make_referral(others_patient, asset, other_worker)
    sign_in(client, worker)
    pid = others_patient.id
    url, data = {
        "discharge": (f"/patients/{pid}/discharge", {"reason": "goals_met"}),
        "complete_follow_up": (f"/follow-ups/{follow_up.id}/done", {}),
        "update_referral": (f"/referrals/{referral.id}/status", {"status": "attended"}),
        "check_in": (
            f"/patients/{pid}/check-ins/new",
            {"ucla3__companionship": "1", "ucla3__left_out": "1", "ucla3__isolated": "1"},
        ),
        "follow_up": (
            f"/patients/{pid}/follow-ups/new",
            {"kind": "call", "due_date-day": "1", "due_date-month": "1", "due_date-year": "2099"},
        ),
        "refer": (f"/assets/{asset.id}/refer", {"patient_id": str(pid), "status": "referred"}),
        "contact": (f"/patients/{pid}/contacts/new", {"kind": "phone", "note": "x"}),
        "edit": (
            f"/patients/{pid}/edit",
            {
                "given_name": "Changed",
                "family_name": "X",
                "referral_reason": "x",
                "consent_to_contact": "no",
                "date_of_birth-day": "1",
                "date_of_birth-month": "1",
                "date_of_birth-year": "1950",
            },
        ),
    }[action]
    before = (others_patient.version, follow_up.version, referral.version)
    response = client.post(url, data=data)
    assert response.status_code in (404, 200)  # 200 only for the referral form's own error
    if action == "refer":
        assert "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (others_patient.version, follow_up.version, referral.version) == before
    assert others_patient.status == "active"
    assert db.session.scalar(db.select(db.func.count(CheckIn.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 0
    assert len(others_patient.follow_ups) == 1 and len(others_patient.referrals) == 1


# POSTs of the Users page: a 404 for anyone but an admin, and nothing changes.
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/users/{id}/reset-link", {}),
        ("/admin/users/{id}/edit", {"display_name": "Changed", "role": "admin"}),
        ("/admin/users/{id}/active", {}),
        (
            "/admin/users/new",
            {
                "display_name": "X Y",
                "username": "xy",
                "role": "admin",
                "password": "teapot river lantern",
            },
        ),
    ],
)
@pytest.mark.parametrize("role", ["patient", "link_worker"])
def test_only_admins_change_people(
    path: str, data: dict[str, str], role: str, as_role: Callable, other_worker: User
) -> None:
    client = as_role(role)
    response = client.post(path.format(id=other_worker.id), data=data)
    assert response.status_code == 404
    db.session.expire_all()
    assert other_worker.display_name == "Ben Hughes" and other_worker.role == "link_worker"
    assert other_worker.active
    assert db.session.scalar(db.select(db.func.count(AccessLink.id))) == 0
    assert db.session.scalar(db.select(db.func.count(User.id))) == 4  # the cast, no one new


def test_only_admins_assign_patients(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    response = client.post(
        f"/patients/{patient.id}/assign", data={"link_worker_id": str(other_worker.id)}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert patient.link_worker_id == worker.id


def test_every_staff_read_of_a_patient_record_is_audited(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    for user in (worker, admin):
        sign_in(client, user)
        client.get(f"/patients/{patient.id}")
    views = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "patient.view")
    ).all()
    assert [(v.user_id, v.patient_id) for v in views] == [
        (worker.id, patient.id),
        (admin.id, patient.id),
    ]
    assert all(v.ip_address == "127.0.0.1" for v in views)


def test_a_refused_read_writes_no_audit_of_the_patient(
    client: FlaskClient, worker: User, others_patient: Patient
) -> None:
    sign_in(client, worker)
    assert client.get(f"/patients/{others_patient.id}").status_code == 404
    assert (
        db.session.scalar(
            db.select(db.func.count(AuditEvent.id)).where(
                AuditEvent.patient_id == others_patient.id
            )
        )
        == 0
    )
