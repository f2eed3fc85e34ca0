"""Adding patients, reading their record, assigning and discharging them."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import AuditEvent, Patient, User

from .conftest import make_check_in, make_patient, sign_in

GOOD = {
    "given_name": "Margaret",
    "family_name": "O'Brien",
    "date_of_birth-day": "3",
    "date_of_birth-month": "7",
    "date_of_birth-year": "1948",
    "nhs_number": "943 476 5919",
    "phone": "0113 496 0000",
    "postcode": "ls7 4ab",
    "referral_reason": "Stopped going out after a fall",
    "needs": ["loneliness", "physical_activity"],
    "consent_to_contact": "yes",
}


def patient_count() -> int:
    return db.session.scalar(db.select(db.func.count(Patient.id))) or 0


def test_a_link_worker_adds_a_patient_to_their_own_caseload(
    client: FlaskClient, worker: User
) -> None:
    sign_in(client, worker)
    response = client.post("/patients/new", data=GOOD, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Margaret O&#39;Brien added" in page
    assert "<h1>Margaret O&#39;Brien</h1>" in page
    patient = db.session.scalar(db.select(Patient))
    assert patient.link_worker_id == worker.id
    assert patient.nhs_number == "9434765919"
    assert patient.postcode == "LS7 4AB"
    assert patient.needs == ["loneliness", "physical_activity"]
    assert patient.consent_to_contact is True
    assert patient.version == 1 and patient.seq > 0
    assert (
        db.session.scalar(
            db.select(AuditEvent.action).where(
                AuditEvent.patient_id == patient.id, AuditEvent.action == "patient.create"
            )
        )
        is not None
    )


def test_the_nhs_number_is_optional(client: FlaskClient, worker: User) -> None:
    sign_in(client, worker)
    client.post("/patients/new", data=GOOD | {"nhs_number": ""})
    assert db.session.scalar(db.select(Patient.nhs_number)) is None


def test_an_admin_chooses_the_link_worker(
    client: FlaskClient, admin: User, worker: User, other_worker: User
) -> None:
    sign_in(client, admin)
    assert "Link worker" in client.get("/patients/new").get_data(as_text=True)
    client.post("/patients/new", data=GOOD | {"link_worker_id": str(other_worker.id)})
    assert db.session.scalar(db.select(Patient.link_worker_id)) == other_worker.id


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"given_name": ""}, "given_name", "Enter the patient&#39;s first name"),
        ({"family_name": "  "}, "family_name", "Enter the patient&#39;s last name"),
        ({"nhs_number": "943 476 5918"}, "nhs_number", "correct check digit"),
        ({"nhs_number": "12345"}, "nhs_number", "NHS number must be 10 digits"),
        (
            {"date_of_birth-day": "31", "date_of_birth-month": "2"},
            "date_of_birth-day",
            "Date of birth must be a real date",
        ),
        ({"date_of_birth-year": ""}, "date_of_birth-day", "Date of birth must include a year"),
        (
            {"date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""},
            "date_of_birth-day",
            "Enter the patient&#39;s date of birth",
        ),
        ({"date_of_birth-year": "2999"}, "date_of_birth-day", "Date of birth must be in the past"),
        ({"date_of_birth-month": "x"}, "date_of_birth-day", "Date of birth must be a real date"),
        ({"postcode": "NOTAPOST"}, "postcode", "Enter a real postcode"),
        ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
        ({"needs": ["moonlighting"]}, "needs", "is not one of the choices"),
        ({"consent_to_contact": ""}, "consent_to_contact", "Select whether they have agreed"),
        ({"referral_reason": ""}, "referral_reason", "Enter why the patient was referred"),
        ({"given_name": "x" * 101}, "given_name", "Field cannot be longer than 100 characters"),
    ],
)
def test_bad_values_get_a_message_by_the_field_and_nothing_is_saved(
    client: FlaskClient, worker: User, change: dict[str, Any], field_id: str, message: str
) -> None:
    sign_in(client, worker)
    response = client.post("/patients/new", data=GOOD | change)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert f'href="#{field_id}"' in page
    assert message in page
    assert "<title>Error: Add a patient" in page
    kept = 'value="Margaret"' if "phone" in change else 'value="0113 496 0000"'
    assert kept in page  # what the person typed is still there
    assert patient_count() == 0


def test_an_admin_cannot_assign_to_someone_who_is_not_a_link_worker(
    client: FlaskClient, admin: User
) -> None:
    sign_in(client, admin)
    response = client.post("/patients/new", data=GOOD | {"link_worker_id": str(admin.id)})
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert patient_count() == 0


def test_the_record_shows_details_check_ins_and_change_since_the_first(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    make_check_in(patient, worker, {"ucla3": {"companionship": 3, "left_out": 3, "isolated": 2}})
    make_check_in(patient, worker, {"ucla3": {"companionship": 2, "left_out": 1, "isolated": 2}})
    sign_in(client, worker)
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "<h1>Patricia Walsh</h1>" in page
    assert "17 May 1950" in page
    assert "Change since the first check-in" in page
    assert "UCLA-3 loneliness (3-9)" in page
    assert "-3 (better)" in page  # 8 -> 5: lower is better for loneliness


def test_an_admin_reassigns_a_patient(
    client: FlaskClient, admin: User, worker: User, other_worker: User, patient: Patient
) -> None:
    sign_in(client, admin)
    response = client.post(
        f"/patients/{patient.id}/assign",
        data={"link_worker_id": str(other_worker.id)},
        follow_redirects=True,
    )
    assert "now on Ben Hughes&#39;s caseload" in response.get_data(as_text=True)
    db.session.expire_all()
    assert patient.link_worker_id == other_worker.id
    assert patient.version == 2
    sign_in(client, worker)
    assert client.get(f"/patients/{patient.id}").status_code == 404


def test_discharging_takes_a_patient_off_the_caseload_but_keeps_the_record(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    record = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f'href="/patients/{patient.id}/discharge"' in record  # a link to ask first, not a button
    ask = client.get(f"/patients/{patient.id}/discharge").get_data(as_text=True)
    assert "Discharge Patricia?" in ask and "Goals met" in ask and "Died" in ask
    unsure = client.post(f"/patients/{patient.id}/discharge")
    assert "Select why they are being discharged" in unsure.get_data(as_text=True)
    db.session.expire_all()
    assert patient.status == "active"
    response = client.post(f"/patients/{patient.id}/discharge", data={"reason": "moved_away"},
                           follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Patricia Walsh has been discharged: moved away" in page
    assert "No active patients yet" in page
    db.session.expire_all()
    assert patient.status == "discharged" and patient.discharged_at is not None
    assert patient.discharge_reason == "moved_away"
    record = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Discharged patient" in record and ": moved away." in record
    assert (
        client.post(f"/patients/{patient.id}/discharge", data={"reason": "<b>"}).status_code == 302
    )


def test_a_discharge_reason_must_be_one_of_the_list(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    page = client.post(f"/patients/{patient.id}/discharge", data={"reason": "bored"})
    assert "Not a valid choice" in page.get_data(as_text=True)
    db.session.expire_all()
    assert patient.status == "active" and patient.discharge_reason is None


def test_the_caseload_lists_only_active_patients_of_this_worker(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    make_patient(worker, given_name="Active", family_name="Mine")
    make_patient(worker, given_name="Gone", family_name="Mine", status="discharged")
    make_patient(other_worker, given_name="Active", family_name="Theirs")
    sign_in(client, worker)
    page = client.get("/caseload").get_data(as_text=True)
    assert "Active Mine" in page
    assert "Gone Mine" not in page and "Active Theirs" not in page
    assert "1 active patient" in page


def test_an_admin_sees_every_caseload_and_can_filter_by_worker(
    client: FlaskClient, admin: User, worker: User, other_worker: User
) -> None:
    make_patient(worker, given_name="Active", family_name="Amaras")
    make_patient(other_worker, given_name="Active", family_name="Bens")
    sign_in(client, admin)
    page = client.get("/caseload").get_data(as_text=True)
    assert "Active Amaras" in page and "Active Bens" in page
    filtered = client.get(f"/caseload?worker={other_worker.id}").get_data(as_text=True)
    assert "Active Bens" in filtered and "Active Amaras" not in filtered
    assert "Active Amaras" in client.get("/caseload?worker=nonsense").get_data(as_text=True)


def test_a_link_worker_corrects_a_patients_details(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    form = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    assert "<h1>Edit Patricia Walsh&#39;s details</h1>" in form
    assert 'value="Patricia"' in form and 'value="1950"' in form
    assert 'value="yes" checked' in form
    data = GOOD | {"given_name": "Patricia", "family_name": "Walsh", "phone": "07700 900123",
                   "consent_to_contact": "no"}  # fmt: skip
    response = client.post(f"/patients/{patient.id}/edit", data=data, follow_redirects=True)
    assert "Patricia Walsh&#39;s details saved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert patient.phone == "07700 900123" and patient.consent_to_contact is False
    assert patient.version == 2 and patient.link_worker_id == worker.id
    assert db.session.scalar(db.select(AuditEvent.id).where(AuditEvent.action == "patient.update"))


def test_an_edit_cannot_move_a_patient_to_another_worker(
    client: FlaskClient, worker: User, other_worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    data = GOOD | {"link_worker_id": str(other_worker.id)}
    client.post(f"/patients/{patient.id}/edit", data=data)
    db.session.expire_all()
    assert patient.link_worker_id == worker.id


def test_saving_unchanged_details_changes_nothing(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    data = {
        "given_name": "Patricia", "family_name": "Walsh", "date_of_birth-day": "17",
        "date_of_birth-month": "5", "date_of_birth-year": "1950",
        "referral_reason": "Feeling isolated", "needs": ["loneliness"],
        "consent_to_contact": "yes",
    }  # fmt: skip
    client.post(f"/patients/{patient.id}/edit", data=data)
    db.session.expire_all()
    assert patient.version == 1


def test_discharged_patients_are_listed_apart(
    client: FlaskClient, worker: User, other_worker: User
) -> None:
    make_patient(worker, given_name="Active", family_name="Mine")
    make_patient(worker, given_name="Gone", family_name="Mine", status="discharged")
    make_patient(other_worker, given_name="Gone", family_name="Theirs", status="discharged")
    sign_in(client, worker)
    page = client.get("/caseload?status=discharged").get_data(as_text=True)
    assert "<h1>Discharged patients</h1>" in page
    assert "Gone Mine" in page
    assert "Active Mine" not in page and "Gone Theirs" not in page
    assert "Add a patient" not in page


def test_a_discharged_patients_record_offers_only_what_may_still_be_done(
    client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:
    from .conftest import make_asset, make_follow_up, make_referral

    make_follow_up(patient)
    make_referral(patient, make_asset(), worker)
    sign_in(client, worker)
    client.post(f"/patients/{patient.id}/discharge", data={"reason": "goals_met"})
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    for offer in ("Edit details", "Mark as done", "Record a check-in", ">Update<"):
        assert offer not in page, offer
    assert "ask your practice admin" in page
    listing = client.get("/caseload?status=discharged").get_data(as_text=True)
    assert "Overdue" not in listing and "Discharged" in listing
    # An admin may still correct the record (though not add to it).
    sign_in(client, admin)
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Edit details" in page and "Mark as done" in page
    assert "Record a check-in" not in page


@pytest.mark.parametrize("query", ["", "?status=discharged"])
def test_the_caseload_tab_is_titled_as_its_heading(
    client: FlaskClient, worker: User, query: str
) -> None:
    import re

    sign_in(client, worker)
    page = client.get(f"/caseload{query}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)  # type: ignore[union-attr]
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)  # type: ignore[union-attr]
    assert title.split(" – ")[0].strip() == heading


def test_an_admin_reopens_a_discharged_patient_onto_a_caseload(
    client: FlaskClient, admin: User, worker: User, other_worker: User, patient: Patient
) -> None:
    sign_in(client, worker)
    client.post(f"/patients/{patient.id}/discharge", data={"reason": "no_contact"})
    assert client.get(f"/patients/{patient.id}/reopen").status_code == 404  # admins only
    client.post("/sign-out")
    sign_in(client, admin)
    record = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f'href="/patients/{patient.id}/reopen"' in record
    ask = client.get(f"/patients/{patient.id}/reopen").get_data(as_text=True)
    assert "Reopen Patricia's record?" in ask and "could not be contacted" in ask
    assert f'<option selected value="{worker.id}">' in ask or (
        f'value="{worker.id}" selected' in ask)  # fmt: skip
    bad = client.post(f"/patients/{patient.id}/reopen", data={"link_worker_id": str(admin.id)})
    assert "Not a valid choice" in bad.get_data(as_text=True)
    chosen = {"link_worker_id": str(other_worker.id)}
    done = client.post(f"/patients/{patient.id}/reopen", data=chosen, follow_redirects=True)
    assert f"Patricia Walsh is back on {other_worker.display_name}" in done.get_data(as_text=True)
    db.session.expire_all()
    assert (patient.status, patient.link_worker_id) == ("active", other_worker.id)
    assert patient.discharged_at is None and patient.discharge_reason is None
    assert patient.scope_seq == patient.seq  # the new worker's phone is sent all of it
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.patient_id == patient.id)).all()  # fmt: skip
    assert "patient.reopen" in actions
    again = client.get(f"/patients/{patient.id}/reopen")
    assert again.status_code == 302  # nothing to reopen
