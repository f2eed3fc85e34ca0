"""Hostile and odd input to every form: a clear refusal or a clean save, never a 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient

from pwa.extensions import db
from pwa.models import AssetReferral, CheckIn, CommunityAsset, FollowUp, Patient, User

from .conftest import make_asset, make_referral, sign_in

NASTY = ["\x00", "9" * 40, "x" * 20_000, "🙂" * 60, "-1", "", " ", "<script>alert(1)</script>"]
SOON = date.today() + timedelta(days=3)


def forms(patient: Patient, asset: CommunityAsset, referral: AssetReferral,
          worker: User) -> dict[str, tuple[str, dict[str, str]]]:  # fmt: skip
    """Each form's URL and a valid submission of it."""
    return {
        "add_patient": ("/patients/new", {
            "given_name": "A", "family_name": "B", "date_of_birth-day": "1",
            "date_of_birth-month": "2", "date_of_birth-year": "1960", "nhs_number": "9434765919",
            "phone": "0113 496 0000", "postcode": "LS1 4AP", "referral_reason": "r",
            "needs": "debt", "consent_to_contact": "no", "link_worker_id": str(worker.id)}),
        "check_in": (f"/patients/{patient.id}/check-ins/new", {
            "ucla3__companionship": "1", "ucla3__left_out": "2", "ucla3__isolated": "3",
            "ons4__life_satisfaction": "", "needs": "food", "notes": "n"}),
        "follow_up": (f"/patients/{patient.id}/follow-ups/new", {
            "kind": "call", "due_date-day": str(SOON.day), "due_date-month": str(SOON.month),
            "due_date-year": str(SOON.year), "due_time": "10:15", "note": "n"}),
        "refer": (f"/assets/{asset.id}/refer", {
            "patient_id": str(patient.id), "status": "suggested", "note": "n"}),
        "referral_status": (f"/referrals/{referral.id}/status", {"status": "declined"}),
        "assign": (f"/patients/{patient.id}/assign", {"link_worker_id": str(worker.id)}),
        "add_user": ("/admin/users/new", {
            "display_name": "N", "username": "newbie", "role": "patient",
            "password": "long enough password"}),
        "add_asset": ("/admin/assets/new", {"name": "N", "category": "food", "url": ""}),
        "edit_asset": (f"/admin/assets/{asset.id}/edit", {"name": "N", "category": "food"}),
        "sign_in": ("/sign-in", {"username": "admin", "password": "x"}),
    }  # fmt: skip


def row_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(db.select(db.func.count()).select_from(model)) or 0
        for model in (Patient, CheckIn, FollowUp, AssetReferral, CommunityAsset, User)
    )


@pytest.mark.parametrize(
    "form",
    ["add_patient", "check_in", "follow_up", "refer", "referral_status", "assign", "add_user",
     "add_asset", "edit_asset", "sign_in"],
)  # fmt: skip
def test_no_value_in_any_field_causes_a_server_error(
    form: str, client: FlaskClient, admin: User, worker: User, patient: Patient
) -> None:  # fmt: skip
    asset = make_asset()
    url, valid = forms(patient, asset, make_referral(patient, asset, worker), worker)[form]
    for field in valid:
        for value in NASTY:
            sign_in(client, admin)  # the sign-in form's own cases may have signed us out
            before = row_counts()
            response = client.post(url, data=valid | {field: value})
            # 429: the sign-in limit; 413: a sign-in body over 16 KiB
            allowed = (200, 302, 400, 413, 429) if form == "sign_in" else (200, 302, 400)
            assert response.status_code in allowed, (field, value, response.status_code)
            if response.status_code != 302:
                assert row_counts() == before, f"{form}.{field}={value!r} half-wrote a record"
            db.session.rollback()


@pytest.mark.parametrize(
    "path",
    ["/caseload?worker=%00", "/caseload?worker=" + "9" * 50, "/assets?q=%00",
     "/assets?q=" + "%25" * 500, "/assets?category=%F0%9F%99%82", "/patients/%00",
     "/assets/00000000-0000-4000-8000-000000000000", "/admin/users/not-a-uuid/active"],
)  # fmt: skip
def test_odd_addresses_get_a_clear_answer(path: str, client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    assert client.get(path).status_code in (200, 400, 404, 405)
