"""One person, one record: an NHS number belongs to one patient of the practice (pages and sync
alike, the message naming who has it only to someone who may read their record), and the same
name and date of birth warns before a second record is made."""

from __future__ import annotations

import uuid
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select

from pwa.extensions import db
from pwa.models import AuditEvent, Patient, User

from .conftest import make_patient, sign_in
from .test_api_sync import enrol, patient_change, sync

NHS = "9434765919"
OTHER_NHS = "9434765870"


def form(**changes: str) -> dict[str, str]:
    values = {
        "given_name": "Nia", "family_name": "Cole", "date_of_birth-day": "2",
        "date_of_birth-month": "4", "date_of_birth-year": "1961", "nhs_number": "",
        "referral_reason": "Lonely", "needs": "loneliness", "consent_to_contact": "yes",
    }  # fmt: skip
    return values | changes


def patients_named(family: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Patient).where(Patient.family_name == family)
    ) or 0  # fmt: skip


def test_a_taken_nhs_number_is_refused_naming_who_has_it(client: FlaskClient, worker: User) -> None:
    make_patient(worker, given_name="Ada", family_name="Lake", nhs_number=NHS,
                 date_of_birth=date(1950, 5, 17))  # fmt: skip
    sign_in(client, worker)
    page = client.post("/patients/new", data=form(nhs_number="943 476 5919"))
    text = page.get_data(as_text=True)
    assert "Ada Lake (born 17 May 1950) already has this NHS number" in text
    assert "There is a problem" in text and patients_named("Cole") == 0


def test_someone_elses_patient_is_not_named(
    client: FlaskClient, worker: User, other_worker: User, admin: User
) -> None:
    make_patient(other_worker, given_name="Ada", family_name="Lake", nhs_number=NHS)
    sign_in(client, worker)
    text = client.post("/patients/new", data=form(nhs_number=NHS)).get_data(as_text=True)
    assert "Another patient at this practice already has this NHS number" in text
    assert "Ada" not in text and "Lake" not in text and patients_named("Cole") == 0
    client.post("/sign-out")
    sign_in(client, admin)
    text = client.post("/patients/new", data=form(nhs_number=NHS, link_worker_id=str(worker.id)))
    assert "Ada Lake" in text.get_data(as_text=True) and patients_named("Cole") == 0


def test_editing_cannot_take_another_patients_nhs_number(client: FlaskClient, worker: User) -> None:
    make_patient(worker, given_name="Ada", family_name="Lake", nhs_number=NHS)
    mine = make_patient(worker, given_name="Nia", family_name="Cole", nhs_number=OTHER_NHS,
                        date_of_birth=date(1961, 4, 2))  # fmt: skip
    sign_in(client, worker)
    text = client.post(f"/patients/{mine.id}/edit", data=form(nhs_number=NHS))
    assert "Ada Lake" in text.get_data(as_text=True)
    db.session.expire_all()
    assert mine.nhs_number == OTHER_NHS and mine.version == 1
    # Keeping one's own number is no clash.
    kept = client.post(f"/patients/{mine.id}/edit", data=form(nhs_number=OTHER_NHS, phone=""))
    assert kept.status_code == 302


def test_the_same_name_and_birthday_warns_then_adds_when_told(
    client: FlaskClient, worker: User
) -> None:
    first = make_patient(worker, given_name="Nia", family_name="Cole",
                         date_of_birth=date(1961, 4, 2))  # fmt: skip
    sign_in(client, worker)
    page = client.post("/patients/new", data=form(given_name="NIA", family_name="cole"))
    text = page.get_data(as_text=True)
    assert "Already here?" in text and f'href="/patients/{first.id}"' in text
    assert "born 2 April 1961" in text and patients_named("Cole") == 1
    assert 'name="different_person"' in text
    added = client.post("/patients/new", data=form(different_person="y"))
    assert added.status_code == 302 and patients_named("Cole") == 2


def test_a_phone_sending_a_taken_nhs_number_is_rejected_with_the_reason(
    client: FlaskClient, worker: User
) -> None:
    make_patient(worker, given_name="Ada", family_name="Lake", nhs_number=NHS)
    token = enrol(client, worker)
    result = sync(client, token, [patient_change(nhs_number=NHS)])["results"][0]
    assert result["status"] == "rejected" and result["code"] == "validation_failed"
    assert "Ada Lake" in result["errors"]["nhs_number"][0]
    assert patients_named("Cole") == 0


def test_two_new_patients_with_one_nhs_number_in_one_batch(
    client: FlaskClient, worker: User
) -> None:
    token = enrol(client, worker)
    first, second = patient_change(nhs_number=NHS), patient_change(nhs_number=NHS)
    results = sync(client, token, [first, second])["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "Nia Cole" in results[1]["errors"]["nhs_number"][0]
    # The first sent again (its answer lost) is its own duplicate, not a clash with itself.
    again = sync(client, token, [first])["results"][0]
    assert again["status"] == "duplicate"
    assert db.session.get(Patient, uuid.UUID(first["id"])) is not None
    assert patients_named("Cole") == 1


def test_a_clash_is_on_the_holders_trail_from_the_page_and_from_a_phone(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    held = make_patient(other_worker, given_name="Ada", family_name="Lake", nhs_number=NHS)
    sign_in(client, worker)
    client.post("/patients/new", data=form(nhs_number=NHS))
    token = enrol(client, worker)
    sync(client, token, [patient_change(nhs_number=NHS)])
    trail = db.session.execute(
        select(AuditEvent.user_id, AuditEvent.device_id).where(
            AuditEvent.action == "patient.nhs_number_clash", AuditEvent.patient_id == held.id)
    ).all()  # fmt: skip
    assert len(trail) == 2 and {user for user, _ in trail} == {worker.id}
    assert sorted(device is not None for _, device in trail) == [False, True]


def test_a_number_is_judged_only_for_an_add_that_may_happen(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    """Adding to someone else's caseload is refused for that, whatever the number: a free and
    a taken number get the same answer, so the refusal cannot be used to test numbers."""
    make_patient(other_worker, nhs_number=NHS)
    token = enrol(client, worker)
    elsewhere = {"link_worker_id": str(other_worker.id)}
    taken = sync(client, token, [patient_change(nhs_number=NHS, **elsewhere)])["results"][0]
    free = sync(client, token, [patient_change(nhs_number=OTHER_NHS, **elsewhere)])["results"][0]
    assert taken["errors"] == free["errors"] and set(taken["errors"]) == {"link_worker_id"}


def test_the_warning_prefers_a_record_the_worker_may_open_and_reads_names_as_people_do(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    born = date(1961, 4, 2)
    make_patient(other_worker, given_name="Élise", family_name="O'Brien", date_of_birth=born)
    mine = make_patient(worker, given_name="Élise", family_name="O'Brien", date_of_birth=born)
    sign_in(client, worker)
    page = client.post("/patients/new", data=form(given_name="ÉLISE", family_name="O’BRIEN"))
    text = page.get_data(as_text=True)
    assert f'href="/patients/{mine.id}"' in text  # theirs, not the older one elsewhere
    warned = db.session.scalars(select(AuditEvent.patient_id).where(
        AuditEvent.action == "patient.same_name_warning")).all()  # fmt: skip
    assert warned == [mine.id]


def test_the_discharged_list_ignores_what_is_due(client: FlaskClient, worker: User) -> None:
    make_patient(worker, given_name="Gone", family_name="Away", status="discharged")
    sign_in(client, worker)
    page = client.get("/caseload?status=discharged&due=overdue&order=next")
    assert ">Gone Away</a>" in page.get_data(as_text=True)
