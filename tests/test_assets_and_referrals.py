"""Finding community assets and referring patients to them."""

from __future__ import annotations

from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AssetReferral, Patient, User

from .conftest import make_asset, make_referral, sign_in


def test_the_directory_searches_by_words_and_category(client: FlaskClient, worker: User) -> None:
    make_asset(name="Knit and Natter", category="social_groups", postcode="LS7 4AB")
    make_asset(name="Citizens Advice", category="money_advice", description="Debt help")
    make_asset(name="Closed Club", category="social_groups", active=False)
    sign_in(client, worker)
    everything = client.get("/assets").get_data(as_text=True)
    assert "Knit and Natter" in everything and "Citizens Advice" in everything
    assert "Closed Club" not in everything
    debt = client.get("/assets?q=debt").get_data(as_text=True)
    assert "Citizens Advice" in debt and "Knit and Natter" not in debt
    by_postcode = client.get("/assets?q=ls7").get_data(as_text=True)
    assert "Knit and Natter" in by_postcode and "Citizens Advice" not in by_postcode
    social = client.get("/assets?category=social_groups").get_data(as_text=True)
    assert "Knit and Natter" in social and "Citizens Advice" not in social


def test_search_wildcards_are_taken_literally(client: FlaskClient, worker: User) -> None:
    make_asset(name="Knit and Natter")
    sign_in(client, worker)
    page = client.get("/assets?q=%25").get_data(as_text=True)
    assert "Knit and Natter" not in page
    assert "Nothing matches" in page


def test_a_link_worker_refers_a_patient(
    client: FlaskClient, worker: User, patient: Patient, others_patient: Patient
) -> None:
    asset = make_asset()
    sign_in(client, worker)
    form = client.get(f"/assets/{asset.id}/refer").get_data(as_text=True)
    assert "Patricia Walsh (17 May 1950)" in form
    assert "Dev Patel" not in form  # not on this worker's caseload
    response = client.post(
        f"/assets/{asset.id}/refer",
        data={"patient_id": str(patient.id), "status": "referred", "note": "Tuesdays suit"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Patricia Walsh referred to Knit and Natter" in page
    referral = db.session.scalar(db.select(AssetReferral))
    assert (referral.patient_id, referral.status, referral.note) == (
        patient.id,
        "referred",
        "Tuesdays suit",
    )
    assert referral.created_by_id == worker.id


def test_a_referral_needs_a_patient(client: FlaskClient, worker: User, patient: Patient) -> None:
    asset = make_asset()
    sign_in(client, worker)
    page = client.post(f"/assets/{asset.id}/refer", data={"patient_id": ""}).get_data(as_text=True)
    assert "Select the patient to refer" in page
    assert db.session.scalar(db.select(db.func.count(AssetReferral.id))) == 0


def test_an_inactive_asset_takes_no_referrals(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    asset = make_asset(active=False)
    sign_in(client, worker)
    response = client.post(f"/assets/{asset.id}/refer", data={"patient_id": str(patient.id)})
    assert response.status_code == 404


def test_updating_how_a_referral_went(client: FlaskClient, worker: User, patient: Patient) -> None:
    referral = make_referral(patient, make_asset(), worker)
    sign_in(client, worker)
    response = client.post(
        f"/referrals/{referral.id}/status", data={"status": "attended"}, follow_redirects=True
    )
    assert "Referral to Knit and Natter: Attended" in response.get_data(as_text=True)
    db.session.expire_all()
    assert referral.status == "attended" and referral.version == 2


def test_an_unknown_referral_status_is_refused(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    referral = make_referral(patient, make_asset(), worker)
    sign_in(client, worker)
    response = client.post(
        f"/referrals/{referral.id}/status", data={"status": "lost"}, follow_redirects=True
    )
    assert "Choose a status for the referral" in response.get_data(as_text=True)
    db.session.expire_all()
    assert referral.status == "referred"


def test_finding_a_group_from_a_record_carries_the_patient_to_the_referral(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    asset = make_asset()
    sign_in(client, worker)
    record = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f"/assets?patient={patient.id}" in record
    directory = client.get(f"/assets?patient={patient.id}").get_data(as_text=True)
    assert f"/assets/{asset.id}?patient={patient.id}" in directory
    assert f'name="patient" value="{patient.id}"' in directory  # kept through a search
    detail = client.get(f"/assets/{asset.id}?patient={patient.id}").get_data(as_text=True)
    assert f"/assets/{asset.id}/refer?patient={patient.id}" in detail
    form = client.get(f"/assets/{asset.id}/refer?patient={patient.id}").get_data(as_text=True)
    assert f'value="{patient.id}" selected' in form


def test_a_patient_id_that_is_not_on_the_caseload_preselects_nothing(
    client: FlaskClient, worker: User, others_patient: Patient
) -> None:
    asset = make_asset()
    sign_in(client, worker)
    form = client.get(f"/assets/{asset.id}/refer?patient={others_patient.id}").get_data(
        as_text=True
    )
    assert str(others_patient.id) not in form
    assert "/assets?patient=" not in client.get("/assets?patient=junk").get_data(as_text=True)
