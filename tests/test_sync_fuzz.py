"""A property of the sync API: whatever JSON value a phone puts in any field of a change, the
server answers 200, the good change beside it is applied, and the bad one is either a valid
record (applied) or `rejected` with a code and the reasons. Never a 500, never a stuck batch."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pwa.models import Patient, User

from .conftest import make_asset
from .test_api_sync import UCLA, check_in_change, enrol

# Values a hostile or broken phone might send: every JSON type, nested, and the awkward ones.
AWKWARD = st.sampled_from([
    "", " ", "\x00", "\ud800", "a\udfffb", "x" * 20_000, "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-14:00", "2026-02-30", "1961-04-02", "2026-11-20T10:00:00",
    "00000000-0000-0000-0000-000000000000", "NaN", "-0", "☃", "patient", "checkin", "self",
    2**63, -(2**63) - 1, 10**400, 0, -1, 1.5, 1e308, True, False, None, [], {}, [None],
    {"ucla3": {"companionship": 1, "left_out": 1, "isolated": "1"}},
    ["\ud800"], ["debt", "x\ud83d"], {"\udfff": 1}, {"ucla3\ud800": {}}, ["debt", "debt"],
])  # fmt: skip
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(st.characters(exclude_categories=()), max_size=30) | AWKWARD)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=()), max_size=8), inner, max_size=3
        )
    ),
    max_leaves=6,
)


def valid_changes(patient_id: str, asset_id: str) -> dict[str, dict[str, Any]]:
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    new = lambda kind, data: {"id": str(uuid.uuid4()), "type": kind, "base_version": None,  # noqa: E731
                              "data": data}  # fmt: skip
    return {
        "patient": new("patient", {
            "given_name": "Nia", "family_name": "Cole", "date_of_birth": "1961-04-02",
            "nhs_number": "943 476 5919", "phone": "0113 496 0000", "postcode": "LS1 4AP",
            "status": "active", "needs": ["loneliness"], "referral_reason": "Lonely",
            "consent_to_contact": True, "link_worker_id": None}),
        "checkin": new("checkin", {
            "patient_id": patient_id, "captured_at": datetime.now(UTC).isoformat(),
            "measures": UCLA, "needs": ["debt"], "notes": "n", "amends": None,
            "source": "link_worker", "scores": None}),
        "followup": new("followup", {
            "patient_id": patient_id, "due_at": soon, "kind": "call", "note": "n",
            "assigned_to": None, "done_at": None}),
        "referral": new("referral", {
            "patient_id": patient_id, "asset_id": asset_id, "status": "referred", "note": "n"}),
    }  # fmt: skip


# (record type, where the value goes): each envelope key, each field of each type's data.
PLACES = [(kind, key) for kind in ("patient", "checkin", "followup", "referral")
          for key in ("id", "type", "base_version", "data", "extra")] + [
    (kind, f"data.{field}") for kind, fields in {
        "patient": ("given_name", "family_name", "date_of_birth", "nhs_number", "phone",
                    "postcode", "link_worker_id", "status", "needs", "referral_reason",
                    "consent_to_contact", "unknown"),
        "checkin": ("patient_id", "captured_at", "measures", "needs", "notes", "amends",
                    "source", "scores"),
        "followup": ("patient_id", "due_at", "kind", "note", "assigned_to", "done_at"),
        "referral": ("patient_id", "asset_id", "status", "note"),
    }.items() for field in fields
]  # fmt: skip


def test_any_value_in_any_field_is_refused_cleanly_and_never_blocks_the_rest(
    client: FlaskClient, worker: User, patient: Patient
) -> None:
    token = enrol(client, worker)
    asset_id = str(make_asset().id)

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(place=st.sampled_from(PLACES), value=JSON_VALUES, remove=st.booleans())
    def check(place: tuple[str, str], value: Any, remove: bool) -> None:
        kind, where = place
        bad = valid_changes(str(patient.id), asset_id)[kind]
        target, key = (bad["data"], where[5:]) if where.startswith("data.") else (bad, where)
        if remove and key != "extra":
            target.pop(key, None)
        else:
            target[key] = value
        good = check_in_change(patient)
        response = client.post(
            "/api/v1/sync",
            data=json.dumps({"cursor": None, "changes": [bad, good]}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if response.status_code == 400:  # only JSON nested past what any record needs
            assert response.json["error"]["code"] == "invalid_json"
            return
        assert response.status_code == 200, (place, response.get_data(as_text=True)[:300])
        bad_result, good_result = response.json["results"]
        assert good_result["status"] == "applied", good_result
        assert bad_result["status"] in ("applied", "rejected"), bad_result
        if bad_result["status"] == "rejected":
            assert bad_result["code"] and bad_result["errors"], bad_result
            assert all(isinstance(m, str) for ms in bad_result["errors"].values() for m in ms)

    check()
