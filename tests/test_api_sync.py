"""POST /api/v1/sync: every status, every error, idempotency, conflicts, paging and scope."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa.devices import revoke_devices_of
from pwa.extensions import db
from pwa.models import AuditEvent, CheckIn, Patient, SyncReview, User

from .conftest import PASSWORD, make_asset, make_check_in, make_patient, sign_in

UCLA = {"ucla3": {"companionship": 2, "left_out": 3, "isolated": 2}}


def enrol(client: FlaskClient, user: User) -> str:
    response = client.post(
        "/api/v1/devices", json={"username": user.username, "password": PASSWORD, "name": "Phone"}
    )
    assert response.status_code == 201, response.json
    return response.json["token"]


def sync(
    client: FlaskClient,
    token: str,
    changes: list[Any] | None = None,
    cursor: str | None = None,
    status: int = 200,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/sync",
        json={"cursor": cursor, "changes": changes or []},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status, response.json
    return response.json


def check_in_change(patient: Patient, record_id: str | None = None, **data: Any) -> dict[str, Any]:
    return {
        "id": record_id or str(uuid.uuid4()),
        "type": "checkin",
        "base_version": None,
        "data": {
            "patient_id": str(patient.id),
            "captured_at": "2026-11-20T10:30:00+00:00",
            "source": "link_worker",
            "measures": UCLA,
            "needs": ["loneliness"],
            "notes": "At home",
            "scores": {"ucla3": {"total": 99}},
        }
        | data,
    }


def patient_change(
    record_id: str | None = None, base: int | None = None, **data: Any
) -> dict[str, Any]:
    return {
        "id": record_id or str(uuid.uuid4()),
        "type": "patient",
        "base_version": base,
        "data": {
            "given_name": "Nia",
            "family_name": "Cole",
            "date_of_birth": "1961-04-02",
            "referral_reason": "Lonely",
            "needs": ["loneliness"],
            "consent_to_contact": True,
        }
        | data,
    }


@pytest.fixture
def token(client: FlaskClient, worker: User) -> str:
    return enrol(client, worker)


def count(model: Any) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model)) or 0


# --- statuses -------------------------------------------------------------------------------


def test_a_new_check_in_is_applied_and_scored_by_the_server(
    client: FlaskClient, token: str, worker: User, patient: Patient
) -> None:
    change = check_in_change(patient)
    body = sync(client, token, [change])
    assert body["results"] == [
        {"id": change["id"], "status": "applied", "version": 1, "errors": {}}
    ]
    stored = db.session.get(CheckIn, uuid.UUID(change["id"]))
    assert stored.scores == {"ucla3": {"total": 7, "lonely": True}}  # the phone's 99 ignored
    assert (stored.author_id, stored.source) == (worker.id, "link_worker")
    assert stored.device_id is not None and stored.received_at is not None
    assert stored.captured_at == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    echoed = [c for c in body["changes"] if c["id"] == change["id"]]
    assert echoed[0]["data"]["captured_at"] == "2026-11-20T10:30:00+00:00"


def test_resending_the_same_check_in_is_a_duplicate_and_leaves_one_row(
    client: FlaskClient, token: str, patient: Patient
) -> None:
    change = check_in_change(patient)
    sync(client, token, [change])
    body = sync(client, token, [change, change])
    assert [r["status"] for r in body["results"]] == ["duplicate", "duplicate"]
    assert count(CheckIn) == 1


def test_a_check_in_resent_with_other_content_is_a_conflict_kept_for_review(
    client: FlaskClient, token: str, patient: Patient
) -> None:
    change = check_in_change(patient)
    sync(client, token, [change])
    altered = change | {"data": change["data"] | {"notes": "Something else"}}
    for _ in range(2):
        body = sync(client, token, [altered])
        result = body["results"][0]
        assert (result["status"], result["code"], result["version"]) == (
            "conflict",
            "content_differs",
            1,
        )
        server_copy = next(c for c in body["changes"] if c["id"] == change["id"])
        assert server_copy["data"]["notes"] == "At home"
    assert db.session.scalar(db.select(CheckIn.notes)) == "At home"
    reviews = db.session.scalars(db.select(SyncReview)).all()
    assert len(reviews) == 1 and reviews[0].reason == "conflict"
    assert reviews[0].data["notes"] == "Something else"


def test_a_new_patient_defaults_to_the_callers_caseload_and_updates_by_version(
    client: FlaskClient, token: str, worker: User
) -> None:
    change = patient_change()
    assert sync(client, token, [change])["results"][0]["status"] == "applied"
    patient = db.session.get(Patient, uuid.UUID(change["id"]))
    assert patient.link_worker_id == worker.id and patient.version == 1
    update = patient_change(change["id"], base=1, phone="0113 496 0000")
    result = sync(client, token, [update])["results"][0]
    assert (result["status"], result["version"]) == ("applied", 2)
    # the same update again after a lost response: not a conflict of the phone's own making
    assert sync(client, token, [update])["results"][0]["status"] == "duplicate"
    stale = patient_change(change["id"], base=1, phone="0113 496 0999")
    body = sync(client, token, [stale])
    assert body["results"][0] | {"errors": {}} == {
        "id": change["id"],
        "status": "conflict",
        "version": 2,
        "errors": {},
        "code": "stale_version",
    }
    db.session.expire_all()
    assert patient.phone == "0113 496 0000"
    assert count(SyncReview) == 1


def test_an_update_to_a_record_the_server_never_had_is_answered_as_one_out_of_reach(
    client: FlaskClient, token: str, others_patient: Patient
) -> None:
    missing = sync(client, token, [patient_change(base=3)])["results"][0]
    theirs = sync(client, token, [patient_change(str(others_patient.id), base=3)])["results"][0]
    assert (missing["status"], missing["code"]) == ("rejected", "out_of_scope")
    # Whether a record exists is not for the caller to learn from the answer.
    assert {k: v for k, v in missing.items() if k != "id"} == {
        k: v for k, v in theirs.items() if k != "id"
    }
    assert count(Patient) == 1


def test_follow_ups_and_referrals_sync(
    client: FlaskClient, token: str, worker: User, patient: Patient
) -> None:
    asset = make_asset()
    follow_up = {
        "id": str(uuid.uuid4()),
        "type": "followup",
        "base_version": None,
        "data": {
            "patient_id": str(patient.id),
            "due_at": "2026-12-01T09:00:00+00:00",
            "kind": "visit",
            "note": "Bring leaflet",
        },
    }
    referral = {
        "id": str(uuid.uuid4()),
        "type": "referral",
        "base_version": None,
        "data": {"patient_id": str(patient.id), "asset_id": str(asset.id), "status": "referred"},
    }
    body = sync(client, token, [follow_up, referral])
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    done = follow_up | {
        "base_version": 1,
        "data": follow_up["data"] | {"done_at": "2026-12-01T10:00:00+00:00"},
    }
    assert sync(client, token, [done])["results"][0]["version"] == 2
    assert patient.follow_ups[0].assigned_to_id == worker.id
    assert patient.referrals[0].created_by_id == worker.id


# --- bad records never block good ones ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ("not an object", "invalid_change", "change"),
        ({"id": "not-a-uuid", "type": "checkin", "data": {}}, "invalid_id", "id"),
        ({"id": str(uuid.uuid4()), "type": "spaceship", "data": {}}, "unknown_type", "type"),
        (
            {"id": str(uuid.uuid4()), "type": "patient", "base_version": "1", "data": {}},
            "invalid_base_version",
            "base_version",
        ),
        ({"id": str(uuid.uuid4()), "type": "patient", "data": []}, "validation_failed", "data"),
        (patient_change(given_name=""), "validation_failed", "given_name"),
        (patient_change(nhs_number="943 476 5918"), "validation_failed", "nhs_number"),
        (patient_change(needs=["moonlighting"]), "validation_failed", "needs"),
        (patient_change(needs=["debt", "x\ud83d"]), "validation_failed", "needs"),  # said back
        (patient_change(given_name="Ni\udfffa"), "validation_failed", "given_name"),
        (patient_change(given_name="Ni\x00a"), "validation_failed", "given_name"),
        (patient_change(consent_to_contact="yes"), "validation_failed", "consent_to_contact"),
        (patient_change(link_worker_id=str(uuid.uuid4())), "validation_failed", "link_worker_id"),
    ],
)
def test_a_bad_record_is_rejected_with_reasons_and_the_good_one_still_applies(
    client: FlaskClient, token: str, patient: Patient, change: Any, code: str, field: str
) -> None:
    good = check_in_change(patient)
    body = sync(client, token, [change, good])
    bad_result, good_result = body["results"]
    assert bad_result["status"] == "rejected"
    assert bad_result["code"] == code
    assert field in bad_result["errors"]
    assert good_result["status"] == "applied"
    assert count(Patient) == 1  # only the fixture's


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"measures": {"ucla3": {"companionship": 2, "left_out": 3}}}, "measures"),
        (
            {"measures": {"ucla3": {"companionship": True, "left_out": 3, "isolated": 1}}},
            "measures",
        ),
        ({"measures": {}}, "measures"),
        ({"captured_at": "2026-11-20T10:30:00"}, "captured_at"),  # no offset
        ({"captured_at": "yesterday"}, "captured_at"),
        ({"captured_at": "2099-01-01T00:00:00Z"}, "captured_at"),
        ({"patient_id": 12}, "patient_id"),
        ({"amends": str(uuid.uuid4())}, "amends"),
        ({"notes": "x" * 10_001}, "notes"),
    ],
)
def test_check_in_fields_are_validated(
    client: FlaskClient, token: str, patient: Patient, data: dict[str, Any], field: str
) -> None:
    result = sync(client, token, [check_in_change(patient, **data)])["results"][0]
    assert result["status"] == "rejected" and field in result["errors"], result
    assert count(CheckIn) == 0


def test_a_correction_amends_an_earlier_check_in(
    client: FlaskClient, token: str, patient: Patient
) -> None:
    first = check_in_change(patient)
    correction = check_in_change(patient, amends=first["id"], notes="Corrected")
    body = sync(client, token, [first, correction])
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    stored = db.session.get(CheckIn, uuid.UUID(correction["id"]))
    assert stored.amends_id == uuid.UUID(first["id"])


def test_a_batch_may_hold_a_new_patient_their_check_ins_and_a_resend_of_one(
    client: FlaskClient, token: str, patient: Patient
) -> None:
    new_patient = patient_change()
    theirs = check_in_change(patient, patient_id=new_patient["id"])
    mine = [check_in_change(patient) for _ in range(3)]
    bad = check_in_change(patient, measures={"ucla3": {"companionship": 9}})
    batch = [new_patient, theirs, *mine[:2], bad, mine[0], mine[2]]
    body = sync(client, token, batch)
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (c["id"], status)
        for c, status in zip(
            batch, ["applied"] * 4 + ["rejected", "duplicate", "applied"], strict=True
        )
    ]
    assert count(CheckIn) == 4 and count(Patient) == 2
    # Each new record took its own change number, in the order sent.
    seqs = [db.session.get(CheckIn, uuid.UUID(c["id"])).seq for c in [theirs, *mine]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


# --- scope ----------------------------------------------------------------------------------


def test_another_workers_patient_cannot_be_written_or_detected(
    client: FlaskClient, token: str, others_patient: Patient
) -> None:
    result = sync(client, token, [check_in_change(others_patient)])["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "unknown_patient")
    # Judged by the record that has the id: nothing of it comes back, nothing is kept.
    edit = patient_change(str(others_patient.id), base=1)
    body = sync(client, token, [edit])
    assert body["results"][0]["code"] == "out_of_scope"
    assert str(others_patient.id) not in {c["id"] for c in body["changes"]}
    assert count(CheckIn) == 0 and count(SyncReview) == 0
    db.session.expire_all()
    assert others_patient.given_name == "Dev"


def test_a_change_for_a_patient_reassigned_while_offline_is_out_of_scope_and_kept(
    client: FlaskClient, token: str, admin: User, other_worker: User, patient: Patient
) -> None:
    sync(client, token)  # the phone has the patient
    patient.link_worker_id = other_worker.id
    db.session.commit()
    change = check_in_change(patient)
    result = sync(client, token, [change])["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "out_of_scope")
    review = db.session.scalar(db.select(SyncReview))
    assert (review.reason, review.record_id) == ("out_of_scope", change["id"])
    assert count(CheckIn) == 0


def test_the_feed_holds_the_callers_caseload_and_the_directory_only(
    client: FlaskClient, token: str, worker: User, patient: Patient, others_patient: Patient
) -> None:
    mine = make_check_in(patient, worker)
    make_check_in(others_patient, worker)
    discharged = make_patient(worker, status="discharged")
    asset = make_asset()
    body = sync(client, token)
    ids = {c["id"] for c in body["changes"]}
    assert ids == {str(patient.id), str(mine.id), str(asset.id)}
    assert str(others_patient.id) not in ids and str(discharged.id) not in ids
    assert body["more"] is False
    by_id = {c["id"]: c for c in body["changes"]}
    assert by_id[str(patient.id)]["type"] == "patient"
    assert by_id[str(patient.id)]["data"]["link_worker_id"] == str(worker.id)
    assert by_id[str(asset.id)]["type"] == "asset"
    assert sync(client, token, cursor=body["cursor"])["changes"] == []


def test_pages_carry_everything_once_in_order(
    app: Flask, client: FlaskClient, token: str, worker: User
) -> None:
    app.config["SYNC_PAGE_SIZE"] = 4
    patients = [make_patient(worker) for _ in range(3)]
    for p in patients:
        for _ in range(3):
            make_check_in(p, worker)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        body = sync(client, token, cursor=cursor)
        seen += [c["id"] for c in body["changes"]]
        cursor = body["cursor"]
        if not body["more"]:
            break
    assert len(seen) == len(set(seen)) == 12
    assert sync(client, token, cursor=cursor)["changes"] == []


def test_a_reassigned_patient_moves_with_all_their_records(
    app: Flask,
    client: FlaskClient,
    admin: User,
    worker: User,
    other_worker: User,
    patient: Patient,
) -> None:
    app.config["SYNC_PAGE_SIZE"] = 2
    old = [make_check_in(patient, worker).id for _ in range(3)]
    amara = enrol(client, worker)
    ben = enrol(client, other_worker)

    def drain(token: str, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
        changes: list[dict[str, Any]] = []
        while True:
            body = sync(client, token, cursor=cursor)
            changes += body["changes"]
            cursor = body["cursor"]
            if not body["more"]:
                return changes, cursor

    _, amara_cursor = drain(amara, None)
    _, ben_cursor = drain(ben, None)
    sign_in(client, admin)
    client.post(f"/patients/{patient.id}/assign", data={"link_worker_id": str(other_worker.id)})

    amara_changes, _ = drain(amara, amara_cursor)
    assert {(c["id"], c["deleted"]) for c in amara_changes} == {
        (str(patient.id), True),
        *((str(i), True) for i in old),
    }
    ben_changes, _ = drain(ben, ben_cursor)
    assert {c["id"] for c in ben_changes} == {str(patient.id), *(str(i) for i in old)}
    assert not any(c["deleted"] for c in ben_changes)


def test_a_discharged_patient_is_purged_from_the_phone(
    client: FlaskClient, token: str, worker: User, patient: Patient
) -> None:
    cursor = sync(client, token)["cursor"]
    sign_in(client, worker)
    client.post(f"/patients/{patient.id}/discharge", data={"reason": "goals_met"})
    changes = sync(client, token, cursor=cursor)["changes"]
    assert changes == [{"id": str(patient.id), "type": "patient", "deleted": True}]


def test_a_patient_sends_their_own_check_ins_and_sees_only_their_record(
    client: FlaskClient,
    worker: User,
    patient_user: User,
    patient: Patient,
    others_patient: Patient,
) -> None:
    token = enrol(client, patient_user)
    change = check_in_change(patient)
    assert sync(client, token, [change])["results"][0]["status"] == "applied"
    assert db.session.get(CheckIn, uuid.UUID(change["id"])).source == "self"
    for forbidden in (check_in_change(others_patient), patient_change()):
        assert sync(client, token, [forbidden])["results"][0]["code"] == "forbidden"
    ids = {c["id"] for c in sync(client, token)["changes"] if c["type"] != "asset"}
    assert ids == {str(patient.id), change["id"]}


def test_sync_reads_and_writes_are_audited_with_the_device(
    client: FlaskClient, token: str, worker: User, patient: Patient
) -> None:
    sync(client, token, [check_in_change(patient)])
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.device_id.is_not(None)))
    actions = sorted(e.action for e in events)
    assert actions == ["checkin.create", "patient.sync_read"]


# --- request errors -------------------------------------------------------------------------


def test_request_level_errors_use_the_contract_shape(client: FlaskClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}

    def post(**kwargs: Any) -> Any:
        return client.post("/api/v1/sync", headers=auth | kwargs.pop("headers", {}), **kwargs)

    cases = [
        (post(data="{", headers={"Content-Type": "application/json"}), 400, "invalid_json"),
        (post(json=[]), 400, "invalid_json"),
        (post(json={"changes": {}}), 422, "invalid_request"),
        (post(json={"cursor": "rubbish"}), 400, "invalid_cursor"),
        (post(json={"cursor": 5}), 422, "invalid_request"),
        (post(json={"changes": [{}] * 501}), 413, "too_many_changes"),
        (post(json={"changes": [{"data": "x" * (2 * 1024 * 1024)}]}), 413, "payload_too_large"),
        (client.post("/api/v1/sync", json={}), 401, "invalid_token"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (code, response.json)
        assert response.json["error"]["code"] == code
        assert response.json["error"]["message"]


def test_a_revoked_device_is_told_to_wipe(client: FlaskClient, token: str, worker: User) -> None:
    revoke_devices_of(worker)  # as a deactivation does
    db.session.commit()
    assert sync(client, token, status=403)["error"]["code"] == "device_revoked"
    response = client.post("/api/v1/sync", json={"cursor": None, "changes": []},
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'  # the browser wipes too


def test_a_signed_out_device_is_told_to_sign_in_and_keep_its_records(
    client: FlaskClient, token: str
) -> None:
    client.delete("/api/v1/devices/current", headers={"Authorization": f"Bearer {token}"})
    assert sync(client, token, status=401)["error"]["code"] == "token_expired"


# --- concurrency ----------------------------------------------------------------------------


def test_eight_phones_resending_the_same_batch_at_once_leave_one_row_each(
    app: Flask, client: FlaskClient, token: str, patient: Patient
) -> None:
    batch = [check_in_change(patient) for _ in range(5)] + [patient_change()]
    statuses: list[int] = []
    results: list[str] = []
    start = threading.Barrier(8)
    db.session.commit()

    def resend() -> None:
        local = app.test_client()
        start.wait()
        response = local.post(
            "/api/v1/sync",
            json={"cursor": None, "changes": batch},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)
        results.extend(r["status"] for r in response.json["results"])

    threads = [threading.Thread(target=resend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert results.count("applied") == 6
    assert results.count("duplicate") == 6 * 7
    assert count(CheckIn) == 5 and count(Patient) == 2


def test_a_batch_can_add_a_patient_and_their_check_ins_together(
    client: FlaskClient, token: str
) -> None:
    new = patient_change()
    patient_ref = type("P", (), {"id": new["id"]})()
    early, late = check_in_change(patient_ref), check_in_change(patient_ref)
    results = sync(client, token, [early, new, late])["results"]
    assert [r["status"] for r in results] == ["rejected", "applied", "applied"]
    assert results[0]["code"] == "unknown_patient"  # sent before its patient: the phone retries
    assert sync(client, token, [early])["results"][0]["status"] == "applied"


def test_an_admin_device_sees_every_patient_and_the_directory(
    client: FlaskClient, admin: User, patient: Patient, others_patient: Patient
) -> None:
    asset = make_asset()
    ids = {c["id"] for c in sync(client, enrol(client, admin))["changes"]}
    assert ids == {str(patient.id), str(others_patient.id), str(asset.id)}


def test_a_phone_discharges_with_a_reason_and_a_reason_alone_changes_nothing(
    client: FlaskClient, token: str, worker: User
) -> None:
    change = patient_change()
    sync(client, token, [change])
    patient = db.session.get(Patient, uuid.UUID(change["id"]))
    # A reason without a discharge is not stored: the patient is still active.
    alone = patient_change(change["id"], base=1, discharge_reason="goals_met")
    assert sync(client, token, [alone])["results"][0]["status"] in ("applied", "duplicate")
    db.session.expire_all()
    assert (patient.status, patient.discharge_reason) == ("active", None)
    version = patient.version
    wrong = patient_change(change["id"], base=version, status="discharged",
                           discharge_reason="bored")  # fmt: skip
    result = sync(client, token, [wrong])["results"][0]
    assert result["status"] == "rejected" and "discharge_reason" in result["errors"]
    right = patient_change(change["id"], base=version, status="discharged",
                           discharge_reason="referred_on")  # fmt: skip
    assert sync(client, token, [right])["results"][0]["status"] == "applied"
    db.session.expire_all()
    assert (patient.status, patient.discharge_reason) == ("discharged", "referred_on")
    assert patient.discharged_at is not None
