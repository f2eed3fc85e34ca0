"""Help when it matters: the panel after a low self check-in, "Get help now" everywhere, the
practice's own words, and a due self check-in marked done by the patient's own check-in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import AuditEvent, FollowUp, Patient, PracticeText, User, utcnow

from .conftest import SWEMWBS_ALL_3, make_follow_up, sign_in

SAMARITANS = "116 123"


def shown(page: str) -> str:
    """The page without its <template> elements (kept for the phone's script, not shown)."""
    return re.sub(r"<template.*?</template>", "", page, flags=re.S)


def self_check_in(client: FlaskClient, **ons4: int) -> str:
    answers = {"life_satisfaction": 7, "worthwhile": 7, "happiness": 7, "anxiety": 2, **ons4}
    form: dict[str, Any] = {f"ons4__{k}": str(v) for k, v in answers.items()}
    form |= {f"swemwbs__{k}": str(v) for k, v in SWEMWBS_ALL_3.items()}
    response = client.post("/my-progress/check-in", data=form, follow_redirects=True)
    assert response.status_code == 200
    return shown(response.get_data(as_text=True))


def test_the_help_panel_follows_a_self_check_in_that_crosses_a_threshold_and_only_then(
    client: FlaskClient, patient: Patient, patient_user: User
) -> None:
    sign_in(client, patient_user)
    calm = self_check_in(client)
    assert "Your check-in is saved" in calm and "If you need help" not in calm
    low = self_check_in(client, life_satisfaction=0, happiness=0)
    assert "If you need help" in low and SAMARITANS in low and "NHS 111" in low
    assert 'href="tel:999"' in low
    again = shown(client.get("/my-progress").get_data(as_text=True))
    assert "If you need help" not in again  # once, after the check-in
    anxious = self_check_in(client, anxiety=6)
    assert "If you need help" in anxious


def test_a_practice_moves_a_threshold_and_the_panel_follows(
    app: Flask, client: FlaskClient, patient: Patient, patient_user: User
) -> None:
    app.config["HELP_THRESHOLDS"] = {"anxiety_high_from": 8}
    sign_in(client, patient_user)
    assert "If you need help" not in self_check_in(client, anxiety=7)
    assert "If you need help" in self_check_in(client, anxiety=8)


def test_get_help_now_is_on_every_patient_page_and_open_to_anyone(
    app: Flask, client: FlaskClient, patient: Patient, patient_user: User
) -> None:
    anyone = app.test_client().get("/help")
    assert anyone.status_code == 200 and SAMARITANS in anyone.get_data(as_text=True)
    assert "Set-Cookie" not in anyone.headers
    sign_in(client, patient_user)
    for path in ("/my-progress", "/my-progress/check-in", "/settings", "/about-link-workers"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/help">Get help now' in page, path


def test_the_service_worker_keeps_the_help_pages_for_offline(client: FlaskClient) -> None:
    script = client.get("/service-worker.js").get_data(as_text=True)
    assert '"/help"' in script and '"/about-link-workers"' in script


def test_an_admin_writes_the_practices_words_and_patients_read_them(
    app: Flask, client: FlaskClient, admin: User, patient_user: User
) -> None:
    sign_in(client, admin)
    client.post("/admin/practice", data={
        "link_worker_help": "Nadia helps with money, housing and feeling alone.",
        "gp_practice": "Call Leeds Road Surgery on 0113 496 0001, 8am to 6pm.",
    })  # fmt: skip
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "practice.text_change"))  # fmt: skip
    reader = app.test_client()
    assert "money, housing" in reader.get("/about-link-workers").get_data(as_text=True)
    assert "0113 496 0001" in reader.get("/help").get_data(as_text=True)
    client.post("/admin/practice", data={"link_worker_help": "", "gp_practice": ""})
    assert db.session.scalar(select(PracticeText)) is None  # empty: the standard words again
    sign_in(client, patient_user)
    assert client.get("/admin/practice").status_code == 404


def test_a_self_check_in_marks_a_due_self_check_in_follow_up_done(
    client: FlaskClient, patient: Patient, patient_user: User, worker: User
) -> None:
    due = make_follow_up(patient, kind="self_checkin", due_at=utcnow() + timedelta(hours=3))
    later = make_follow_up(patient, kind="self_checkin", due_at=utcnow() + timedelta(days=5))
    visit = make_follow_up(patient, kind="visit", due_at=utcnow() - timedelta(hours=1))
    versions = {f.id: f.version for f in (due, later, visit)}
    sign_in(client, patient_user)
    self_check_in(client)
    db.session.expire_all()
    done = {f.id: f for f in db.session.scalars(select(FollowUp))}
    assert done[due.id].done_at is not None and done[due.id].version == versions[due.id] + 1
    assert done[later.id].done_at is None and done[visit.id].done_at is None
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "followup.done_by_self_check_in"))  # fmt: skip


def test_a_self_check_in_sent_by_sync_marks_the_due_follow_up_done_and_the_feed_says_so(
    client: FlaskClient, patient: Patient, patient_user: User
) -> None:
    from .test_api_sync import check_in_change, enrol, sync

    due = make_follow_up(patient, kind="self_checkin", due_at=utcnow() - timedelta(hours=2))
    token = enrol(client, patient_user)
    first = sync(client, token, [])
    change = check_in_change(patient)
    change["data"]["captured_at"] = utcnow().isoformat()
    answer = sync(client, token, [change], cursor=first["cursor"])
    assert answer["results"][0]["status"] == "applied"
    db.session.expire_all()
    assert db.session.get(FollowUp, due.id).done_at is not None  # type: ignore[union-attr]
    sent = {c["id"]: c for c in answer["changes"]}
    # A done contact is no longer one of the patient's upcoming ones: their phone drops it.
    assert sent[str(due.id)]["deleted"] is True


def test_a_patient_sees_their_contacts_and_groups_but_never_staff_notes(
    client: FlaskClient, patient: Patient, patient_user: User, worker: User
) -> None:
    from .conftest import make_asset, make_referral

    make_follow_up(patient, kind="call", due_at=utcnow() + timedelta(days=2),
                   note="Staff only: ask about the debt letters")  # fmt: skip
    make_follow_up(patient, kind="visit", due_at=utcnow() - timedelta(days=2), done_at=utcnow())
    referral = make_referral(patient, make_asset(name="Knit and Natter", contact="0113 496 0101"),
                             worker)  # fmt: skip
    referral.note = "Staff only: worried about her son"
    db.session.commit()
    sign_in(client, patient_user)
    page = client.get("/my-progress").get_data(as_text=True)
    assert "A phone call from your link worker" in page
    assert "A visit from your link worker" not in page  # done: no longer coming up
    assert "Knit and Natter" in page and "0113 496 0101" in page
    assert f"Your link worker is {worker.display_name}" in page
    assert "Staff only" not in page


def test_a_check_in_kept_on_the_phone_for_weeks_closes_only_what_was_due_before_it(
    client: FlaskClient, patient: Patient, patient_user: User
) -> None:
    from .test_api_sync import check_in_change, enrol, sync

    then = utcnow() - timedelta(days=21)
    earlier = make_follow_up(patient, kind="self_checkin", due_at=then - timedelta(days=1))
    today = make_follow_up(patient, kind="self_checkin", due_at=utcnow())
    old = check_in_change(patient)
    old["data"]["captured_at"] = then.isoformat()
    answer = sync(client, enrol(client, patient_user), [old])
    assert answer["results"][0]["status"] == "applied"
    db.session.expire_all()
    assert db.session.get(FollowUp, earlier.id).done_at is not None  # type: ignore[union-attr]
    assert db.session.get(FollowUp, today.id).done_at is None  # type: ignore[union-attr]
