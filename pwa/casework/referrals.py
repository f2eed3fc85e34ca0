"""Refer a patient to a community asset, and record how it went."""

from __future__ import annotations

import uuid
from typing import Any

from ..extensions import db
from ..models import AssetReferral, CommunityAsset, Patient, User, utcnow
from ..scope import Refused, check_write
from .changes import keep_patient, write


def _check_asset(asset_id: uuid.UUID) -> None:
    if db.session.get(CommunityAsset, asset_id) is None:
        raise Refused("validation_failed", {"asset_id": ["No such community asset."]})


def _stamp_progress(values: dict[str, Any], before: AssetReferral | None) -> None:
    """Stamp when a referral was first made and first attended, from its status.

    Server time: a change made offline is stamped when it arrives. A referral that goes straight
    to "attended" was made then too; one sent back to "suggested" keeps its times, since a
    report counts what happened.
    """
    status = values.get("status", before.status if before else "suggested")
    now = utcnow()
    if status in ("referred", "attended") and (before is None or before.referred_at is None):
        values["referred_at"] = now
    if status == "attended" and (before is None or before.attended_at is None):
        values["attended_at"] = now


def new_referral_row(
    actor: User, patient: Patient | None, record_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any]:
    """Return the row a new referral is stored as."""
    patient = check_write(actor, patient, record_type="referral", adding=True, field="patient_id")
    _check_asset(values["asset_id"])
    row = {**values, "id": record_id, "patient_id": patient.id, "created_by_id": actor.id}
    _stamp_progress(row, None)
    return row


def add_referral(actor: User, patient: Patient, values: dict[str, Any]) -> AssetReferral:
    """Refer a patient (from a page) and return the referral, not yet committed."""
    referral = AssetReferral(**new_referral_row(actor, patient, uuid.uuid4(), values))
    db.session.add(referral)
    return referral


def change_referral(actor: User, referral: AssetReferral, values: dict[str, Any]) -> None:
    """Change a referral's status or note, keeping its patient."""
    check_write(actor, referral.patient, record_type="referral", adding=False, field="id")
    keep_patient(referral, values)
    if values.get("asset_id", referral.asset_id) != referral.asset_id:
        _check_asset(values["asset_id"])
    values = dict(values)
    _stamp_progress(values, referral)
    write(referral, values)
