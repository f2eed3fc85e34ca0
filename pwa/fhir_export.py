"""A patient's social prescribing record as FHIR resources, for the GP system.

Built as plain JSON (dicts) with no FHIR library at run time; the test suite validates every
resource with `fhir.resources` (its R4B module: FHIR 4.3, which for these five resources reads
as UK Core's R4 4.0.1 does). Each names the UK Core profile it follows in `meta.profile`.

Codes only where a published one exists:
- the NHS number's identifier system, https://fhir.nhs.uk/Id/nhs-number (NHS England);
- the referral: SNOMED CT 871731000000106 "Referral to social prescribing service" (UK
  clinical extension);
- Observation category "survey" and Encounter classes HH (home health), VR (virtual) and FLD
  (field: a group session in the community) from HL7's terminology (observation-category,
  v3-ActCode).
The wellbeing scores (ONS4 items, SWEMWBS, UCLA-3) have no code we could confirm in SNOMED CT
or LOINC, so they are sent as text (`code.text`), never a guessed code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from .measures import MEASURES
from .models import CheckIn, Contact, FollowUp, Patient
from .progress import TRACKED, score_value

UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
SOCIAL_PRESCRIBING_REFERRAL = ("871731000000106", "Referral to social prescribing service")
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ENCOUNTER_CLASSES = {"visit": ("HH", "home health"), "call": ("VR", "virtual"),
                     "checkin": ("HH", "home health"), "phone": ("VR", "virtual"),
                     "message": ("VR", "virtual"), "group_session": ("FLD", "field")}  # fmt: skip
RESOURCE_TYPES = ("Patient", "ServiceRequest", "Encounter", "QuestionnaireResponse", "Observation")


def _id(*parts: object) -> str:
    """A stable id for a resource made from our records (the same export gives the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "link-worker:" + ":".join(map(str, parts))))


def _meta(resource_type: str) -> dict[str, Any]:
    return {"profile": [f"{UK_CORE}{resource_type}"]}


def _subject(patient: Patient) -> dict[str, Any]:
    return {"reference": f"Patient/{patient.id}", "display": patient.full_name}


def patient_resource(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": str(patient.id), "meta": _meta("Patient"),
        "name": [{"use": "official", "family": patient.family_name,
                  "given": [patient.given_name]}],
    }  # fmt: skip
    if patient.nhs_number:
        resource["identifier"] = [{"system": NHS_NUMBER, "value": patient.nhs_number}]
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone}]
    if patient.postcode:
        resource["address"] = [{"postalCode": patient.postcode}]
    return resource


def referral_resource(patient: Patient) -> dict[str, Any]:
    code, display = SOCIAL_PRESCRIBING_REFERRAL
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": _id("referral", patient.id),
        "meta": _meta("ServiceRequest"),
        "status": "active" if patient.status == "active" else "completed",
        "intent": "order",
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}],
                 "text": display},
        "subject": _subject(patient),
        "performer": [{"display": f"{patient.link_worker.display_name}, link worker"}],
    }  # fmt: skip
    if patient.referral_reason:
        resource["reasonCode"] = [{"text": patient.referral_reason}]
    return resource


def _encounter(patient: Patient, key: object, kind: str, when: str) -> dict[str, Any]:
    code, display = ENCOUNTER_CLASSES[kind]
    return {
        "resourceType": "Encounter", "id": _id("encounter", key), "meta": _meta("Encounter"),
        "status": "finished",
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "subject": _subject(patient),
        "basedOn": [{"reference": f"ServiceRequest/{_id('referral', patient.id)}"}],
        "period": {"start": when, "end": when},
    }  # fmt: skip


def check_in_resources(patient: Patient, check_in: CheckIn) -> list[dict[str, Any]]:
    """A check-in: its answers (QuestionnaireResponse), a score each (Observation), and, when
    the link worker recorded it with the patient, the contact (Encounter)."""
    when = check_in.captured_at_local.isoformat()
    response_id = _id("checkin", check_in.id)
    items = []
    for key, answers in check_in.measures.items():
        measure = MEASURES.get(key)
        if measure is None:
            continue
        items.append({
            "linkId": key, "text": measure.title,
            "item": [{"linkId": f"{key}.{item.key}", "text": item.question,
                      "answer": [{"valueInteger": int(answers[item.key])}]}
                     for item in measure.items if item.key in answers],
        })  # fmt: skip
    found: list[dict[str, Any]] = [{
        "resourceType": "QuestionnaireResponse", "id": response_id,
        "meta": _meta("QuestionnaireResponse"), "status": "completed",
        "subject": _subject(patient), "authored": when,
        "author": {"display": check_in.author.display_name},
        "item": items,
    }]  # fmt: skip
    for tracked in TRACKED:
        value = score_value(check_in.scores, tracked.measure, tracked.field)
        if value is None:
            continue
        found.append({
            "resourceType": "Observation", "id": _id("score", check_in.id, tracked.key),
            "meta": _meta("Observation"), "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "survey", "display": "Survey"}]}],
            "code": {"text": tracked.label},
            "subject": _subject(patient), "effectiveDateTime": when,
            "valueQuantity": {"value": value},
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
        })  # fmt: skip
    if check_in.source == "link_worker":
        found.append(_encounter(patient, check_in.id, "checkin", when))
    return found


def follow_up_resources(patient: Patient, follow_up: FollowUp) -> list[dict[str, Any]]:
    """A visit or call that happened (marked done) is a contact; the rest are not, yet."""
    if follow_up.done_at is None or follow_up.kind not in ("visit", "call"):
        return []
    return [_encounter(patient, follow_up.id, follow_up.kind, follow_up.done_at.isoformat())]


def contact_resources(patient: Patient, contact: Contact) -> list[dict[str, Any]]:
    """A contact that reached the patient is an Encounter (its kind as the type's text); a call
    nobody answered is not one. The link worker's note stays here: it is not the GP's record."""
    if contact.kind not in ENCOUNTER_CLASSES:
        return []
    when = contact.happened_at_local.isoformat()
    encounter = _encounter(patient, f"contact:{contact.id}", contact.kind, when)
    encounter["type"] = [{"text": contact.kind_name}]
    return [encounter]


def patient_resources(patient: Patient) -> Iterator[dict[str, Any]]:
    """Every resource of one patient's record."""
    yield patient_resource(patient)
    yield referral_resource(patient)
    for check_in in patient.check_ins:
        yield from check_in_resources(patient, check_in)
    for follow_up in patient.follow_ups:
        yield from follow_up_resources(patient, follow_up)
    for contact in patient.contacts:
        yield from contact_resources(patient, contact)


def bundle(patient: Patient) -> dict[str, Any]:
    """One patient's record as a FHIR collection Bundle."""
    return {
        "resourceType": "Bundle", "id": _id("bundle", patient.id), "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r}
                  for r in patient_resources(patient)],
    }  # fmt: skip


def of_type(patients: Iterable[Patient], resource_type: str) -> Iterator[dict[str, Any]]:
    """Every resource of one type across patients: one Bulk Data NDJSON file's lines."""
    for patient in patients:
        for resource in patient_resources(patient):
            if resource["resourceType"] == resource_type:
                yield resource
