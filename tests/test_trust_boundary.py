"""The sync API as an attacker meets it: every role x record type x attack, none gets through.

Another caseload's records carry a sentinel string in every text field. For each attack the test
checks that the answer is a refusal, that nothing of the other records (the sentinel, their ids,
their patient) comes back anywhere in the response, and that the database holds exactly what it
held before: zero unauthorised reads, zero unauthorised writes (DESIGN.md, "Trust boundary").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AssetReferral, CheckIn, Contact, FollowUp, Patient, SyncReview, User

from .conftest import (
    make_asset,
    make_check_in,
    make_contact,
    make_follow_up,
    make_patient,
    make_referral,
)
from .test_api_sync import UCLA, enrol, sync

SECRET = "SENTINEL-7f3a9c"  # in every text field of the records the attacker must never see
TYPES = ("patient", "checkin", "followup", "referral", "contact")
MODELS: dict[str, Any] = {"patient": Patient, "checkin": CheckIn, "followup": FollowUp,
                          "referral": AssetReferral, "contact": Contact}  # fmt: skip


@dataclass
class World:
    own: Patient  # on the attacker's caseload (and the patient attacker's own record)
    own_other: Patient  # another patient on the link worker attacker's caseload
    victim: Patient  # on another worker's caseload
    victims: dict[str, Any]  # type -> the other caseload's record of that type
    own_check_in: CheckIn  # a check-in of own_other, for amending across patients
    asset_id: str


@pytest.fixture
def world(worker: User, other_worker: User, patient: Patient) -> World:
    asset = make_asset()
    victim = make_patient(other_worker, given_name="Dev", family_name=f"Patel {SECRET}",
                          referral_reason=f"Bereaved {SECRET}")  # fmt: skip
    check_in = make_check_in(victim, other_worker)
    follow_up = make_follow_up(victim, note=f"Key safe {SECRET}")
    referral = make_referral(victim, asset, other_worker)
    contact = make_contact(victim, other_worker, note=f"Spoke to her daughter {SECRET}")
    check_in.notes, referral.note = f"Said {SECRET}", f"Waiting list {SECRET}"
    db.session.commit()
    victim.needs, follow_up.kind = ["debt"], "visit"  # every record at version 2: 1 is stale
    contact.kind = "visit"
    db.session.commit()
    own_other = make_patient(worker, given_name="Olu")
    return World(
        own=patient, own_other=own_other, victim=victim,
        victims={"patient": victim, "checkin": check_in, "followup": follow_up,
                 "referral": referral, "contact": contact},
        own_check_in=make_check_in(own_other, worker), asset_id=str(asset.id),
    )  # fmt: skip


def data_for(kind: str, patient_id: str, world: World) -> dict[str, Any]:
    """A valid record of each type, for the patient named."""
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    return {
        "patient": {"given_name": "Eve", "family_name": "Attacker", "referral_reason": "x"},
        "checkin": {"patient_id": patient_id, "captured_at": datetime.now(UTC).isoformat(),
                    "measures": UCLA, "notes": "mine"},
        "followup": {"patient_id": patient_id, "due_at": soon, "kind": "call", "note": "mine"},
        "referral": {"patient_id": patient_id, "asset_id": world.asset_id, "status": "referred",
                     "note": "mine"},
        "contact": {"patient_id": patient_id, "kind": "no_answer",
                    "happened_at": datetime.now(UTC).isoformat(), "note": "mine"},
    }[kind]  # fmt: skip


def change(kind: str, record_id: Any, base: int | None, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(record_id), "type": kind, "base_version": base, "data": data}


# Each attack builds the changes it sends, from the record type and the world.
Attack = Callable[[str, World], list[dict[str, Any]]]


ATTACKS: dict[str, Attack] = {
    # A new record whose id is another caseload's record, for the attacker's own patient.
    "id_collision_on_create": lambda kind, w: [
        change(kind, w.victims[kind].id, None, data_for(kind, str(w.own.id), w))],
    # An update with a stale version: the reply must not carry the server's copy.
    "stale_update": lambda kind, w: [
        change(kind, w.victims[kind].id, 1, data_for(kind, str(w.own.id), w))],
    # An update with the current version, moving the record onto the attacker's own patient.
    "move_to_own_patient": lambda kind, w: [
        change(kind, w.victims[kind].id, w.victims[kind].version,
               data_for(kind, str(w.own.id), w))],
    # An update with the current version that leaves the record where it is.
    "update_in_place": lambda kind, w: [
        change(kind, w.victims[kind].id, w.victims[kind].version,
               data_for(kind, str(w.victim.id), w))],
    # A new record under the other caseload's patient.
    "add_to_their_patient": lambda kind, w: [
        change(kind, uuid.uuid4(), None, data_for(kind, str(w.victim.id), w))]
        if kind != "patient" else [],
    # The other record's own content resent under its id: a "duplicate" would confirm it.
    "replay_their_content": lambda kind, w: [
        change(kind, w.victims[kind].id, None, _replayed(kind, w))],
    # A check-in of the attacker's own patient amending another patient's check-in.
    "amend_across_patients": lambda kind, w: [
        change("checkin", uuid.uuid4(), None,
               data_for("checkin", str(w.own.id), w) | {"amends": str(w.victims["checkin"].id)}),
        change("checkin", uuid.uuid4(), None,
               data_for("checkin", str(w.own.id), w) | {"amends": str(w.own_check_in.id)}),
    ] if kind == "checkin" else [],
}  # fmt: skip


def _replayed(kind: str, world: World) -> dict[str, Any]:
    from pwa.projections import PROJECTIONS

    return PROJECTIONS[kind, "staff"](world.victims[kind])


def snapshot(world: World) -> dict[str, tuple[Any, ...]]:
    """Every column of the other caseload's records, and how many records each patient has."""
    db.session.expire_all()
    found: dict[str, tuple[Any, ...]] = {}
    for kind, record in world.victims.items():
        row = db.session.get(MODELS[kind], record.id)
        found[kind] = tuple(getattr(row, c.key) for c in MODELS[kind].__table__.columns)
    for name, patient in (("victim", world.victim), ("own", world.own)):
        found[f"{name}_children"] = tuple(
            db.session.scalar(db.select(db.func.count()).select_from(model)
                              .where(model.patient_id == patient.id))
            for model in (CheckIn, FollowUp, AssetReferral, Contact)
        )  # fmt: skip
    found["patients"] = (db.session.scalar(db.select(db.func.count(Patient.id))),)
    return found


def assert_nothing_leaked(body: dict[str, Any], world: World) -> None:
    text = json.dumps(body)
    assert SECRET not in text
    foreign = {str(world.victim.id), *(str(r.id) for r in world.victims.values())}
    assert not foreign & {entry["id"] for entry in body["changes"]}
    for entry in body["changes"]:
        assert entry.get("data", {}).get("patient_id") != str(world.victim.id)


@pytest.fixture
def attacker(request: pytest.FixtureRequest, client: FlaskClient, worker: User,
             patient_user: User) -> str:  # fmt: skip
    return enrol(client, {"link_worker": worker, "patient": patient_user}[request.param])


# Every attack on every record type it applies to (amending is a check-in's alone; a new
# record "under their patient" is not a patient record).
CASES = [(attack, kind) for attack in ATTACKS for kind in TYPES
         if not (attack == "amend_across_patients" and kind != "checkin")
         and not (attack == "add_to_their_patient" and kind == "patient")]  # fmt: skip


@pytest.mark.parametrize("attacker", ["link_worker", "patient"], indirect=True)
@pytest.mark.parametrize(("attack", "kind"), CASES)
def test_no_attack_reads_or_writes_another_caseload(
    attack: str, kind: str, attacker: str, client: FlaskClient, world: World
) -> None:
    changes = ATTACKS[attack](kind, world)
    before = snapshot(world)
    body = sync(client, attacker, changes)
    for result in body["results"]:
        assert result["status"] == "rejected", result
        assert result["code"] in {"out_of_scope", "unknown_patient", "forbidden",
                                  "validation_failed"}, result  # fmt: skip
        assert SECRET not in json.dumps(result)
    assert_nothing_leaked(body, world)
    assert snapshot(world) == before
    # Hostile changes are not stored for review: only what a sender once held is.
    assert db.session.scalar(db.select(db.func.count(SyncReview.id))) == 0


@pytest.mark.parametrize("kind", ["checkin", "followup", "referral", "contact"])
def test_an_admin_cannot_move_a_record_to_another_patient_either(
    kind: str, client: FlaskClient, admin: User, world: World
) -> None:
    token = enrol(client, admin)
    victim = world.victims[kind]
    moved = change(kind, victim.id, victim.version, data_for(kind, str(world.own.id), world))
    before = snapshot(world)
    result = sync(client, token, [moved])["results"][0]
    if kind in ("checkin", "contact"):  # never changed once stored: other content conflicts
        assert (result["status"], result["code"]) == ("conflict", "content_differs")
    else:
        assert (result["status"], result["code"]) == ("rejected", "validation_failed")
        assert "patient_id" in result["errors"]
    assert snapshot(world) == before


def test_after_a_reassignment_the_former_worker_learns_nothing_new(
    client: FlaskClient, admin: User, worker: User, other_worker: User, patient: Patient,
    world: World,
) -> None:  # fmt: skip
    amara = enrol(client, worker)
    before_move = make_check_in(patient, worker)
    cursor = sync(client, amara)["cursor"]
    patient.link_worker_id = other_worker.id  # an admin reassigns Pat to Ben
    db.session.commit()
    after_move = make_check_in(patient, other_worker)
    after_move.notes = f"Told Ben {SECRET}"
    db.session.commit()

    body = sync(client, amara, cursor=cursor)
    deleted = {entry["id"] for entry in body["changes"] if entry["deleted"]}
    assert {str(patient.id), str(before_move.id)} <= deleted
    assert str(after_move.id) not in json.dumps(body)  # never named, not even as deleted
    assert SECRET not in json.dumps(body)

    # What the phone writes for Pat now is refused without reading anything, and kept for an
    # admin: Amara did hold Pat, so this is work captured offline, not an attack.
    late = change("checkin", uuid.uuid4(), None, data_for("checkin", str(patient.id), world))
    grab = change("checkin", after_move.id, None, data_for("checkin", str(patient.id), world))
    body = sync(client, amara, [late, grab], cursor=body["cursor"])
    assert [(r["status"], r["code"]) for r in body["results"]] == [
        ("rejected", "out_of_scope"), ("rejected", "out_of_scope")]  # fmt: skip
    assert SECRET not in json.dumps(body)
    kept = db.session.scalars(db.select(SyncReview.record_id)).all()
    assert sorted(kept) == sorted([late["id"], grab["id"]])
    db.session.expire_all()
    assert db.session.get(CheckIn, after_move.id).notes == f"Told Ben {SECRET}"


def test_resending_your_own_check_in_after_the_patient_moved_is_still_a_duplicate(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient, world: World
) -> None:
    amara = enrol(client, worker)
    mine = change("checkin", uuid.uuid4(), None, data_for("checkin", str(patient.id), world))
    sync(client, amara, [mine])  # applied; the answer is lost on the way back
    patient.link_worker_id = other_worker.id
    db.session.commit()
    result = sync(client, amara, [mine])["results"][0]
    assert result["status"] == "duplicate"  # she wrote it: nothing new is learned
    assert db.session.scalar(db.select(db.func.count(SyncReview.id))) == 0


@pytest.mark.parametrize(
    ("role", "code"),
    [("link_worker", "out_of_scope"), ("admin", "patient_discharged"),
     ("patient", "patient_discharged")],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["checkin", "followup", "referral", "contact"])
def test_a_discharged_patient_takes_no_new_records_from_anyone(
    role: str, code: str, kind: str, client: FlaskClient, admin: User, worker: User,
    patient_user: User, patient: Patient, world: World,
) -> None:  # fmt: skip
    token = enrol(client, {"link_worker": worker, "admin": admin, "patient": patient_user}[role])
    patient.status = "discharged"
    db.session.commit()
    result = sync(
        client, token, [change(kind, uuid.uuid4(), None, data_for(kind, str(patient.id), world))]
    )["results"][0]
    expected = "forbidden" if role == "patient" and kind != "checkin" else code
    assert (result["status"], result["code"]) == ("rejected", expected)
    assert snapshot(world)["own_children"] == (0, 0, 0, 0)


def answer(result: dict[str, Any]) -> dict[str, Any]:
    """A result without its id: what the caller learns from it."""
    return {key: value for key, value in result.items() if key != "id"}


@pytest.mark.parametrize("kind", TYPES)
def test_a_patient_cannot_confirm_a_guess_of_what_staff_wrote_on_their_record(
    kind: str, client: FlaskClient, worker: User, patient_user: User, patient: Patient
) -> None:
    asset = make_asset()
    staff = {
        "patient": patient,
        "checkin": make_check_in(patient, worker),
        "followup": make_follow_up(patient, note="Check how things went"),
        "referral": make_referral(patient, asset, worker),
        "contact": make_contact(patient, worker, note="Her son was there"),
    }[kind]
    patient.referral_reason = "Bereaved in the spring"
    db.session.commit()
    from pwa.projections import PROJECTIONS

    truth = PROJECTIONS[kind, "staff"](staff)  # all of it, hidden fields included
    token = enrol(client, patient_user)
    hidden = {"patient": "referral_reason", "checkin": "notes", "followup": "note",
              "referral": "note", "contact": "note"}[kind]  # fmt: skip
    right = change(kind, staff.id, staff.version, truth)
    wrong = change(kind, staff.id, staff.version, truth | {hidden: "A wrong guess"})
    results = sync(client, token, [right, wrong])["results"]
    assert results[0]["status"] != "duplicate"
    assert answer(results[0]) == answer(results[1])  # the guess makes no difference


def test_the_author_of_a_referral_learns_nothing_of_it_after_the_patient_moves(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient, world: World
) -> None:
    amara = enrol(client, worker)
    referral = change("referral", uuid.uuid4(), None, data_for("referral", str(patient.id), world))
    sync(client, amara, [referral])
    patient.link_worker_id = other_worker.id
    db.session.commit()
    stored = db.session.get(AssetReferral, uuid.UUID(referral["id"]))
    stored.status, stored.note = "attended", f"Ben's note {SECRET}"
    db.session.commit()
    guess = referral["data"] | {"status": "attended", "note": f"Ben's note {SECRET}"}
    right = change("referral", referral["id"], 2, guess)
    wrong = change("referral", referral["id"], 2, guess | {"note": "something else"})
    results = sync(client, amara, [right, wrong])["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert answer(results[0]) == answer(results[1])


def test_a_record_made_after_a_reassignment_in_the_same_batch_is_never_named(
    client: FlaskClient, admin: User, worker: User, other_worker: User, patient: Patient,
    world: World,
) -> None:  # fmt: skip
    amara = enrol(client, worker)
    cursor = sync(client, amara)["cursor"]
    moved = {"given_name": "Patricia", "family_name": "Walsh", "date_of_birth": "1950-05-17",
             "referral_reason": "Feeling isolated", "needs": ["loneliness"],
             "consent_to_contact": True, "link_worker_id": str(other_worker.id)}  # fmt: skip
    later = change("followup", uuid.uuid4(), None, data_for("followup", str(patient.id), world))
    body = sync(client, enrol(client, admin), [change("patient", patient.id, 1, moved), later])
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    deleted = {e["id"] for e in sync(client, amara, cursor=cursor)["changes"] if e["deleted"]}
    assert str(patient.id) in deleted
    assert later["id"] not in deleted


def test_a_patient_hears_the_same_whether_another_patient_exists_or_not(
    client: FlaskClient, patient_user: User, world: World
) -> None:
    token = enrol(client, patient_user)
    real = change("checkin", uuid.uuid4(), None, data_for("checkin", str(world.victim.id), world))
    made_up = change("checkin", uuid.uuid4(), None, data_for("checkin", str(uuid.uuid4()), world))
    results = sync(client, token, [real, made_up])["results"]
    assert answer(results[0]) == answer(results[1])
    assert results[0]["code"] == "forbidden"


def test_a_discharged_patients_check_in_is_not_sent_back_to_the_phone_that_let_go(
    client: FlaskClient, worker: User, patient: Patient, world: World
) -> None:
    amara = enrol(client, worker)
    check_in = make_check_in(patient, worker)
    check_in.notes = f"Private {SECRET}"
    patient.status = "discharged"
    db.session.commit()
    altered = change("checkin", check_in.id, 1, data_for("checkin", str(patient.id), world))
    body = sync(client, amara, [altered])
    assert (body["results"][0]["status"], body["results"][0]["code"]) == (
        "rejected", "out_of_scope")  # fmt: skip
    assert SECRET not in json.dumps(body)
