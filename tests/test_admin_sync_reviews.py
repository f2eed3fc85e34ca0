"""Practice admins see and settle the changes phones sent that the server did not apply."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AuditEvent, Patient, SyncReview, User

from .conftest import sign_in
from .test_api_sync import check_in_change, enrol, sync


def kept_conflict(client: FlaskClient, worker: User, patient: Patient) -> int:
    """Have the worker's phone resend a check-in with other notes: the server keeps it."""
    token = enrol(client, worker)
    change = check_in_change(patient)
    sync(client, token, [change])
    altered = change | {"data": change["data"] | {"notes": "Said she is moving to Leeds"}}
    assert sync(client, token, [altered])["results"][0]["status"] == "conflict"
    return db.session.scalar(db.select(SyncReview.id))


def test_the_list_names_no_patient_and_the_detail_is_audited(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    review_id = kept_conflict(client, worker, patient)
    sign_in(client, admin)
    listing = client.get("/admin/sync-reviews").get_data(as_text=True)
    assert "Changed on the server first" in listing and worker.display_name in listing
    assert patient.family_name not in listing and "Leeds" not in listing

    detail = client.get(f"/admin/sync-reviews/{review_id}").get_data(as_text=True)
    assert "Said she is moving to Leeds" in detail
    assert f"/patients/{patient.id}" in detail
    read = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "sync_review.read"))
    assert read.patient_id == patient.id and read.user_id == admin.id


def test_marking_a_change_reviewed_takes_it_off_the_list_and_keeps_it(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    review_id = kept_conflict(client, worker, patient)
    sign_in(client, admin)
    client.get(f"/admin/sync-reviews/{review_id}")
    response = client.post(f"/admin/sync-reviews/{review_id}/resolve", follow_redirects=True)
    assert "Marked as reviewed" in response.get_data(as_text=True)
    assert "Nothing to review" in response.get_data(as_text=True)
    assert db.session.get(SyncReview, review_id).resolved_at is not None


def test_an_unknown_review_is_not_found(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    assert client.get("/admin/sync-reviews/999").status_code == 404
    assert client.post("/admin/sync-reviews/999/resolve").status_code == 404


def test_a_phone_can_leave_only_so_many_changes_to_review(
    app: Flask, client: FlaskClient, worker: User, patient: Patient
) -> None:
    app.config["SYNC_REVIEWS_PER_DEVICE"] = 3
    token = enrol(client, worker)
    change = check_in_change(patient)
    sync(client, token, [change])
    variants = [change | {"data": change["data"] | {"notes": f"Version {n}"}} for n in range(5)]
    results = sync(client, token, variants)["results"]
    assert [r["status"] for r in results] == ["conflict"] * 5  # the phone keeps every one
    assert db.session.scalar(db.select(db.func.count(SyncReview.id))) == 3
    review = db.session.scalar(db.select(SyncReview).limit(1))
    review.resolved_at = review.received_at
    db.session.commit()
    sync(client, token, variants)
    assert db.session.scalar(db.select(db.func.count(SyncReview.id))) == 4


def test_the_list_is_paged_oldest_first(client: FlaskClient, admin: User, worker: User) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    db.session.add_all(
        SyncReview(reason="conflict", record_type="checkin", record_id=str(uuid.uuid4()),
                   data={"notes": f"n{i}"}, content_hash=f"{i:064d}", user_id=worker.id,
                   received_at=start + timedelta(minutes=i))
        for i in range(120)
    )  # fmt: skip
    db.session.commit()
    sign_in(client, admin)

    def rows(query: str) -> int:
        return (
            client.get(f"/admin/sync-reviews{query}")
            .get_data(as_text=True)
            .count('class="nhsuk-table__cell"><a href')
        )

    assert rows("") == 50
    first = client.get("/admin/sync-reviews").get_data(as_text=True)
    assert "page 1 of 3" in first and "Next page" in first and "Previous page" not in first
    assert rows("?page=3") == 20
    assert rows("?page=999") == 20  # past the end: the last page
    assert rows("?page=abc") == 50


def test_the_detail_is_in_words_side_by_side_with_what_differs_marked(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    import re

    review_id = kept_conflict(client, worker, patient)
    sign_in(client, admin)
    detail = client.get(f"/admin/sync-reviews/{review_id}").get_data(as_text=True)
    assert f'<span class="nhsuk-caption-l">{patient.full_name}</span>' in detail
    assert "1 thing differs from the record as it is now" in detail
    rows = re.findall(r'<tr class="nhsuk-table__row( app-differs)?">\s*<th[^>]*>(.*?)</th>', detail)
    assert [label for shaded, label in rows if shaded] == [
        'Notes <strong class="nhsuk-tag nhsuk-tag--yellow">Differs</strong>'
    ]
    assert "20 November 2026 at 10:30am" in detail  # the moment, as the record shows it
    assert "Loneliness or isolation" in detail
    assert "Loneliness (UCLA 3-item scale):" in detail  # answers under the measure's name
    assert "patient_id" not in detail and "captured_at" not in detail  # no raw field names
    assert str(patient.id) not in detail.split("/patients/")[0]  # no bare ids in the table
