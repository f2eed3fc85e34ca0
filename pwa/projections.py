"""What each audience receives of a record: one named function per audience and record type.

Staff (link workers and admins) receive the record as DESIGN.md names its fields. A patient's
phone receives exactly what the patient's own pages show: their check-ins' scores (with the
answers, needs and notes only of the ones they made themselves), their upcoming contacts (date
and kind; one that has happened leaves the phone), their referrals (which group, and how it is
going) and those groups' directory entries; never the contacts staff log. Staff notes, the
referral reason and other staff-only fields never reach it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import AssetReferral, CheckIn, CommunityAsset, Contact, FollowUp, Patient, Synced
from .scope import Audience


def patient_for_staff(patient: Patient) -> dict[str, Any]:
    return {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        "nhs_number": patient.nhs_number,
        "phone": patient.phone,
        "postcode": patient.postcode,
        "link_worker_id": str(patient.link_worker_id),
        "status": patient.status,
        "discharge_reason": patient.discharge_reason,
        "needs": list(patient.needs),
        "referral_reason": patient.referral_reason,
        "consent_to_contact": patient.consent_to_contact,
    }


def patient_for_patient(patient: Patient) -> dict[str, Any]:
    return {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "status": patient.status,
        "link_worker_name": patient.link_worker.display_name,
    }


def check_in_for_staff(check_in: CheckIn) -> dict[str, Any]:
    return {
        "patient_id": str(check_in.patient_id),
        "captured_at": check_in.captured_at_local.isoformat(),
        "source": check_in.source,
        "measures": check_in.measures,
        "scores": check_in.scores,
        "needs": list(check_in.needs),
        "notes": check_in.notes,
        "amends": str(check_in.amends_id) if check_in.amends_id else None,
        # Staff have looked at it (server-set; what a phone says of it is ignored).
        "seen": check_in.look is not None,
    }


def check_in_for_patient(check_in: CheckIn) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "patient_id": str(check_in.patient_id),
        "captured_at": check_in.captured_at_local.isoformat(),
        "source": check_in.source,
        "scores": check_in.scores,
        "amends": str(check_in.amends_id) if check_in.amends_id else None,
    }
    if check_in.source == "self":  # what they typed themselves is theirs to see again
        shown |= {"measures": check_in.measures, "needs": list(check_in.needs),
                  "notes": check_in.notes}  # fmt: skip
    return shown


def follow_up_for_staff(follow_up: FollowUp) -> dict[str, Any]:
    return {
        "patient_id": str(follow_up.patient_id),
        "due_at": follow_up.due_at.isoformat(),
        "kind": follow_up.kind,
        "note": follow_up.note,
        "assigned_to": str(follow_up.assigned_to_id),
        "done_at": follow_up.done_at.isoformat() if follow_up.done_at else None,
        "outcome": follow_up.outcome,
    }


def follow_up_for_patient(follow_up: FollowUp) -> dict[str, Any] | None:
    """An upcoming contact: its date and kind. Once done it is no longer shown (None)."""
    if follow_up.done_at is not None:
        return None
    return {
        "patient_id": str(follow_up.patient_id),
        "due_at": follow_up.due_at.isoformat(),
        "kind": follow_up.kind,
    }


def contact_for_staff(contact: Contact) -> dict[str, Any]:
    return {
        "patient_id": str(contact.patient_id),
        "kind": contact.kind,
        "happened_at": contact.happened_at_local.isoformat(),
        "note": contact.note,
    }


def contact_for_patient(contact: Contact) -> None:
    """A staff log of contacts, with staff notes: never on a patient's phone (the feed does
    not look for them for a patient; this says what it would send if it did)."""
    return None


def referral_for_staff(referral: AssetReferral) -> dict[str, Any]:
    return {
        "patient_id": str(referral.patient_id),
        "asset_id": str(referral.asset_id),
        "status": referral.status,
        "note": referral.note,
        # When it was made (server time; a phone's own is ignored): for the timeline.
        "created_at": referral.created_at.isoformat(),
    }


def referral_for_patient(referral: AssetReferral) -> dict[str, Any]:
    return {
        "patient_id": str(referral.patient_id),
        "asset_id": str(referral.asset_id),
        "status": referral.status,
    }


def asset_for_everyone(asset: CommunityAsset) -> dict[str, Any]:
    return {
        "name": asset.name,
        "category": asset.category,
        "description": asset.description,
        "contact": asset.contact,
        "address": asset.address,
        "postcode": asset.postcode,
        "opening_times": asset.opening_times,
        "url": asset.url,
        "active": asset.active,
        "checked_at": asset.checked_at.isoformat() if asset.checked_at else None,
    }


TYPE_NAMES: dict[type[Synced], str] = {
    Patient: "patient",
    CheckIn: "checkin",
    FollowUp: "followup",
    AssetReferral: "referral",
    Contact: "contact",
    CommunityAsset: "asset",
}
# A projection gives the record's `data` for that audience, or None when the audience does not
# see the record at all (the feed then tells the phone to let go of it).
PROJECTIONS: dict[tuple[str, Audience], Callable[[Any], dict[str, Any] | None]] = {
    ("patient", "staff"): patient_for_staff,
    ("patient", "patient"): patient_for_patient,
    ("checkin", "staff"): check_in_for_staff,
    ("checkin", "patient"): check_in_for_patient,
    ("followup", "staff"): follow_up_for_staff,
    ("followup", "patient"): follow_up_for_patient,
    ("contact", "staff"): contact_for_staff,
    ("contact", "patient"): contact_for_patient,
    ("referral", "staff"): referral_for_staff,
    ("referral", "patient"): referral_for_patient,
    ("asset", "staff"): asset_for_everyone,
    ("asset", "patient"): asset_for_everyone,
}


def feed_entry(record: Synced, audience: Audience) -> dict[str, Any]:
    """Return a record as the sync feed carries it to this audience."""
    type_name = TYPE_NAMES[type(record)]
    data = PROJECTIONS[type_name, audience](record)
    if data is None:
        return {"id": str(record.id), "type": type_name, "deleted": True}
    return {
        "id": str(record.id),
        "type": type_name,
        "version": record.version,
        "deleted": False,
        "data": data,
    }
