"""Attacks on the new admin features: devices, audit trail, exports, review words, `agrees`.

Tests named test_finding_* fail on main (each is a finding); test_held_* pass (what held).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from pwa.extensions import db
from pwa.models import Device, FollowUp, Patient, SyncReview, User, utcnow

from .conftest import csrf_token_from, make_check_in, make_follow_up, sign_in
from .test_api_sync import enrol, sync

ADMIN_GETS = [
    "/admin/devices",
    "/admin/users/{user}/devices",
    "/admin/devices/{device}/revoke",
    "/admin/audit",
    "/admin/audit.csv",
    "/patients/{patient}/fhir.json",
    "/admin/export",
    "/admin/export/fhir/Patient.ndjson",
    "/admin/export/check-ins.csv",
    "/admin/sync-reviews/1",
]


# --- Findings -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
@pytest.mark.parametrize("args", ["to=9999-12-31", "from=2026-01-01&to=9999-12-31"])
def test_finding_audit_to_date_at_end_of_calendar_is_not_a_500(
    client: FlaskClient, admin: User, path: str, args: str
) -> None:
    """events(): `filters.until + timedelta(days=1)` overflows for 9999-12-31 -> OverflowError,
    a 500 on both the page and the CSV (Input limits: pages never fail on an odd value)."""
    sign_in(client, admin)
    assert client.get(f"{path}?{args}").status_code in (200, 400)


def test_finding_audit_csv_for_unknown_patient_id_is_not_a_500(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    """/admin/audit.csv writes audit('audit.export', patient_id=<the filter's UUID>) without
    checking that patient exists. audit_events.patient_id is a FOREIGN KEY to patients.id, so
    on PostgreSQL (which enforces it) any well-formed but unknown UUID is an IntegrityError,
    a 500. SQLite only enforces it with PRAGMA foreign_keys=ON, switched on here to stand in
    for production. (/admin/audit looks the patient up first and is fine.)"""

    def foreign_keys_on(connection: Any, _: Any) -> None:
        connection.execute("PRAGMA foreign_keys=ON")

    sign_in(client, admin)
    if db.engine.dialect.name != "sqlite":  # PostgreSQL enforces the key itself
        assert client.get(f"/admin/audit.csv?patient={uuid.uuid4()}").status_code in (200, 400)
        return
    event.listen(db.engine, "connect", foreign_keys_on)
    try:
        db.session.remove()
        db.engine.dispose()
        response = client.get(f"/admin/audit.csv?patient={uuid.uuid4()}")
        assert response.status_code in (200, 400)
    finally:
        event.remove(db.engine, "connect", foreign_keys_on)
        db.session.remove()
        db.engine.dispose()


def test_finding_sync_review_detail_is_404_not_403_for_non_admins(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    """/admin/sync-reviews/<id> (now the review-in-words page) uses role_required('admin'),
    which answers 403, not admin_only's 404: every other admin page says nothing exists."""
    follow_up = make_follow_up(patient, kind="call")
    phone, tablet = enrol(client, worker), enrol(client, worker)
    base = {
        "id": str(follow_up.id),
        "type": "followup",
        "base_version": 1,
        "data": {
            "patient_id": str(patient.id),
            "due_at": follow_up.due_at.isoformat(),
            "kind": follow_up.kind,
            "note": "first",
            "assigned_to": str(worker.id),
        },
    }
    sync(client, phone, [base])
    sync(client, tablet, [base | {"data": base["data"] | {"note": "second"}}])
    review = db.session.scalar(db.select(SyncReview))
    assert review is not None
    sign_in(client, worker)
    assert client.get(f"/admin/sync-reviews/{review.id}").status_code == 404
    assert client.get("/admin/sync-reviews/999999").status_code == 404


# --- What held (regression guards; these pass) ----------------------------------------------


def test_held_every_new_admin_page_is_404_to_workers_and_patients(
    client: FlaskClient, admin: User, worker: User, patient_user: User, patient: Patient
) -> None:
    device = db.session.get(Device, uuid.UUID(str(_device_id(client, worker))))
    assert device is not None
    for who in (worker, patient_user):
        with client.session_transaction() as s:
            s.clear()
        sign_in(client, who)
        for path in ADMIN_GETS:
            if path.startswith("/admin/sync-reviews"):
                continue  # see the finding above
            url = path.format(user=admin.id, device=device.id, patient=patient.id)
            assert client.get(url).status_code == 404, (who.role, url)
        assert client.post(f"/admin/devices/{device.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(Device, device.id).revoked_at is None  # type: ignore[union-attr]


def _device_id(client: FlaskClient, user: User) -> uuid.UUID:
    enrol(client, user)
    found = db.session.scalar(db.select(Device).where(Device.user_id == user.id))
    assert found is not None
    return found.id


@pytest.mark.parametrize(
    "args",
    [
        "page=99999999999999999999",
        "page=-5",
        "page=%E2%91%A0",
        "page=1e9",
        "patient=not-a-uuid",
        "person=%00",
        "action=%F0%9F%92%A5" + "x" * 500,
        "from=0001-01-01",
        "to=0001-01-01",
        "from=9999-12-31",
        "from=2026-13-40",
        "from=2026-12-01&to=2026-01-01",
    ],
)
def test_held_audit_odd_filters_do_not_500(client: FlaskClient, admin: User, args: str) -> None:
    sign_in(client, admin)
    assert client.get(f"/admin/audit?{args}").status_code in (200, 400)
    assert client.get(f"/admin/audit.csv?{args}").status_code in (200, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/not-a-uuid/devices",
        "/admin/devices/not-a-uuid/revoke",
        f"/admin/users/{uuid.uuid4()}/devices",
        f"/admin/devices/{uuid.uuid4()}/revoke",
        "/patients/not-a-uuid/fhir.json",
        f"/patients/{uuid.uuid4()}/fhir.json",
        "/admin/export/fhir/..%2Fetc.ndjson",
        "/admin/export/fhir/P%C3%A4tient.ndjson",
    ],
)
def test_held_odd_ids_are_404(client: FlaskClient, admin: User, path: str) -> None:
    sign_in(client, admin)
    assert client.get(path).status_code == 404


class TestCsrfOn:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return app_config | {"WTF_CSRF_ENABLED": True}

    def test_held_revoke_needs_csrf_and_cuts_off_only_the_named_phone(
        self, client: FlaskClient, admin: User, worker: User
    ) -> None:
        enrol(client, worker)
        enrol(client, worker)
        first, second = db.session.scalars(
            db.select(Device).where(Device.user_id == worker.id).order_by(Device.created_at)
        ).all()
        from .conftest import PASSWORD

        client.post(
            "/sign-in",
            data={
                "username": admin.username,
                "password": PASSWORD,
                "csrf_token": csrf_token_from(client.get("/sign-in")),
            },
        )
        client.post(f"/admin/devices/{first.id}/revoke")  # no token
        db.session.expire_all()
        assert db.session.get(Device, first.id).revoked_at is None  # type: ignore[union-attr]
        form = client.get(f"/admin/devices/{first.id}/revoke")
        assert form.status_code == 200
        client.post(f"/admin/devices/{first.id}/revoke", data={"csrf_token": csrf_token_from(form)})
        db.session.expire_all()
        assert db.session.get(Device, first.id).revoked_at is not None  # type: ignore[union-attr]
        assert db.session.get(Device, second.id).revoked_at is None  # type: ignore[union-attr]


def _marked(follow_up: FollowUp, worker: User, **data: Any) -> dict[str, Any]:
    return {
        "id": str(follow_up.id),
        "type": "followup",
        "base_version": 1,
        "data": {
            "patient_id": str(follow_up.patient_id),
            "due_at": follow_up.due_at.isoformat(),
            "kind": follow_up.kind,
            "note": follow_up.note,
            "assigned_to": str(worker.id),
            **data,
        },
    }


@pytest.mark.parametrize(
    "second",
    [
        {"done_at": None},  # un-marking done
        {"note": "typed on the tablet"},
        {"kind": "visit"},
        {"due_at": None},
    ],
)
def test_held_stale_follow_up_that_differs_is_never_a_silent_duplicate(
    client: FlaskClient, worker: User, patient: Patient, second: dict[str, Any]
) -> None:
    follow_up = make_follow_up(patient, kind="call")
    phone, tablet = enrol(client, worker), enrol(client, worker)
    now = utcnow()
    first = sync(client, phone, [_marked(follow_up, worker, done_at=now.isoformat())])
    assert first["results"][0]["status"] == "applied"
    change = _marked(follow_up, worker, done_at=(now - timedelta(minutes=5)).isoformat())
    if second.get("due_at", 1) is None:
        second = {"due_at": (follow_up.due_at + timedelta(days=1)).isoformat()}
    change["data"] |= second
    answer = sync(client, tablet, [change])["results"][0]
    assert answer["status"] != "duplicate", second


def test_held_agrees_does_not_reach_a_patient_moved_out_of_scope(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient
) -> None:
    follow_up = make_follow_up(patient, kind="call")
    tablet = enrol(client, worker)
    done = utcnow()
    follow_up.done_at = done
    follow_up.version = 2
    patient.link_worker_id = other_worker.id
    db.session.commit()
    answer = sync(client, tablet, [_marked(follow_up, worker, done_at=done.isoformat())])
    assert answer["results"][0]["status"] == "rejected"
    assert "server_record" not in answer["results"][0]


def test_held_csv_cells_that_start_a_formula_are_quoted(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    patient.given_name = '=HYPERLINK("http://x")'
    patient.family_name = "@SUM(1)"
    worker.display_name = "+cmd|' /C calc'!A0"
    db.session.commit()
    make_check_in(patient, worker)
    sign_in(client, admin)
    for path in ("/admin/export/check-ins.csv", f"/admin/audit.csv?patient={patient.id}"):
        client.get(f"/patients/{patient.id}/fhir.json")
        body = client.get(path).get_data(as_text=True)
        for row in csv.reader(io.StringIO(body)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path, cell)
