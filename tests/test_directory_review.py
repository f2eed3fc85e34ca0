"""The community directory stays alive: assets unchecked for six months, or mostly declined,
are listed for an admin, who checks them; and referrals record when they were made and attended,
for the outcomes report."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.directory_review import to_review
from pwa.extensions import db
from pwa.models import AssetReferral, AuditEvent, CommunityAsset, Patient, User, utcnow

from .conftest import make_asset, make_referral, sign_in


def declined_and_attended(asset: CommunityAsset, patient: Patient, by: User, no: int, yes: int,
                          days_ago: int = 30) -> None:  # fmt: skip
    when = utcnow() - timedelta(days=days_ago)
    for status in ["declined"] * no + ["attended"] * yes:
        db.session.add(AssetReferral(
            patient_id=patient.id, asset_id=asset.id, status=status, created_by_id=by.id,
            created_at=when, updated_at=when))  # fmt: skip
    db.session.commit()


def test_what_is_listed_and_why(app: Flask, worker: User, patient: Patient) -> None:
    now = utcnow()
    month = timedelta(days=31)
    stale = make_asset(name="Stale", checked_at=now - 7 * month)
    never = make_asset(name="Never", created_at=now - 8 * month)
    make_asset(name="Fresh", checked_at=now - month)
    make_asset(name="New", created_at=now - month)  # never checked, but only just added
    make_asset(name="Closed", checked_at=now - 12 * month, active=False)
    declined = make_asset(name="Declined", checked_at=now - month)
    declined_and_attended(declined, patient, worker, no=3, yes=1)
    few = make_asset(name="Few", checked_at=now - month)
    declined_and_attended(few, patient, worker, no=2, yes=0)  # 2 is not yet a pattern
    half = make_asset(name="Half", checked_at=now - month)
    declined_and_attended(half, patient, worker, no=2, yes=2)  # half is not most
    old = make_asset(name="Old news", checked_at=now - month)
    declined_and_attended(old, patient, worker, no=5, yes=0, days_ago=400)  # over a year ago

    found = {r.asset.name: r for r in to_review(db.session, now, app.config)}
    assert set(found) == {"Stale", "Never", "Declined"}
    assert found["Stale"].stale_since == stale.checked_at
    assert found["Never"].stale_since == never.created_at
    assert found["Declined"].stale_since is None
    assert (found["Declined"].declined, found["Declined"].outcomes) == (3, 4)
    app.config["ASSET_CHECK_MONTHS"] = 9
    assert {r.asset.name for r in to_review(db.session, now, app.config)} == {"Declined"}


def test_an_admin_checks_an_asset_and_it_leaves_the_list(client: FlaskClient, admin: User) -> None:
    asset = make_asset(name="Lunch Club", checked_at=utcnow() - timedelta(days=200))
    sign_in(client, admin)
    assert "Assets to check (1)" in client.get("/admin/assets").get_data(as_text=True)
    page = client.get("/admin/assets/review").get_data(as_text=True)
    assert "Lunch Club" in page and "Last checked" in page
    response = client.post(f"/admin/assets/{asset.id}/checked", data={"back": "review"},
                           follow_redirects=True)  # fmt: skip
    text = response.get_data(as_text=True)
    assert "Lunch Club: details marked as checked today" in text
    assert "Nothing to check" in text
    db.session.expire_all()
    assert asset.checked_at is not None and utcnow() - asset.checked_at < timedelta(minutes=1)
    assert db.session.scalar(
        select(AuditEvent.record_id).where(AuditEvent.action == "asset.checked")
    ) == str(asset.id)
    shown = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Details checked" in shown


def test_a_new_asset_counts_as_checked(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    client.post("/admin/assets/new", data={"name": "Book Club", "category": "arts_culture",
                                           "description": "Monthly"})  # fmt: skip
    asset = db.session.scalar(select(CommunityAsset).where(CommunityAsset.name == "Book Club"))
    assert asset is not None and asset.checked_at is not None


def test_checking_needs_the_forms_token(app: Flask, client: FlaskClient, admin: User) -> None:
    asset = make_asset()
    sign_in(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/admin/assets/{asset.id}/checked").status_code == 400
    db.session.expire_all()
    assert asset.checked_at is None


def test_only_admins_review_the_directory(client: FlaskClient, worker: User) -> None:
    asset = make_asset()
    sign_in(client, worker)
    assert client.get("/admin/assets/review").status_code == 404
    assert client.post(f"/admin/assets/{asset.id}/checked").status_code == 404
    db.session.expire_all()
    assert asset.checked_at is None


def test_referrals_are_stamped_when_made_and_attended(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    suggested = make_asset(name="Choir")
    sign_in(client, worker)
    form = {"patient_id": str(patient.id), "status": "suggested", "note": ""}
    client.post(f"/assets/{suggested.id}/refer", data=form)
    referral = db.session.scalar(
        select(AssetReferral).where(AssetReferral.asset_id == suggested.id)
    )
    assert referral is not None and (referral.referred_at, referral.attended_at) == (None, None)
    for status in ("referred", "attended", "referred", "attended"):
        client.post(f"/referrals/{referral.id}/status", data={"status": status})
    db.session.expire_all()
    assert referral.referred_at is not None and referral.attended_at is not None
    assert referral.referred_at <= referral.attended_at
    first = referral.attended_at
    client.post(f"/referrals/{referral.id}/status", data={"status": "attended"})
    db.session.expire_all()
    assert referral.attended_at == first  # the first attendance is the one that counts
    straight = make_referral(patient, make_asset(name="Walk"), worker)
    assert straight.referred_at is None  # made by hand in the test, not through the rules


def test_an_unknown_asset_cannot_be_checked(client: FlaskClient, admin: User) -> None:
    sign_in(client, admin)
    assert (
        client.post("/admin/assets/00000000-0000-0000-0000-000000000000/checked").status_code == 404
    )
