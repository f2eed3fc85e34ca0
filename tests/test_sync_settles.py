"""Two people doing the same thing offline is settled by the server, not queued for review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import FollowUp, Patient, SyncReview, User, utcnow

from .conftest import make_follow_up
from .test_api_sync import enrol, sync


def marked_done(follow_up: FollowUp, when: Any, **changes: Any) -> dict[str, Any]:
    return {
        "id": str(follow_up.id), "type": "followup", "base_version": 1,
        "data": {"patient_id": str(follow_up.patient_id), "due_at": follow_up.due_at.isoformat(),
                 "kind": follow_up.kind, "note": follow_up.note,
                 "assigned_to": str(follow_up.assigned_to_id), "done_at": when.isoformat(),
                 **changes},
    }  # fmt: skip


def test_a_follow_up_marked_done_on_two_phones_is_done_once_with_nothing_to_review(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    follow_up = make_follow_up(patient, kind="call")
    phone, tablet = enrol(client, worker), enrol(client, worker)
    first, second = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
    assert sync(client, phone, [marked_done(follow_up, first)])["results"][0]["status"] == "applied"
    answer = sync(client, tablet, [marked_done(follow_up, second)])["results"][0]
    assert (answer["status"], answer["version"]) == ("duplicate", 2)
    db.session.expire_all()
    stored = db.session.get(FollowUp, follow_up.id)
    assert stored is not None and stored.done_at == first  # the first stored moment stands
    assert db.session.scalar(db.select(SyncReview)) is None


def test_a_real_difference_is_still_a_conflict_kept_for_review(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    follow_up = make_follow_up(patient, kind="call")
    phone, tablet = enrol(client, worker), enrol(client, worker)
    done = utcnow()
    assert sync(client, phone, [marked_done(follow_up, done)])["results"][0]["status"] == "applied"
    other = marked_done(follow_up, done, note="Rang twice, no answer")
    assert sync(client, tablet, [other])["results"][0]["status"] == "conflict"
    assert db.session.scalar(db.select(SyncReview)) is not None
