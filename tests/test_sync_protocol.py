"""A property-based test of the sync protocol, against the real server and database.

Two phones of one link worker create and edit records offline, sync in any order, and sometimes
lose the server's response after it applied their batch (so they send it again). Whatever the
order, once everyone has synced: the server holds every change exactly once and both phones
hold exactly what the server holds.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from pwa.extensions import db
from pwa.models import CheckIn, Patient

from .conftest import PASSWORD, make_user

PHONES = ("phone-a", "phone-b")


class Phone:
    """What the app on a phone keeps: records by id, an outbox of changes, and a cursor."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token
        self.records: dict[str, dict[str, Any]] = {}  # id -> {"type", "version", "data"}
        self.outbox: dict[str, dict[str, Any]] = {}  # id -> change (insertion order = oldest first)
        self.sent: set[str] = set()  # outbox entries sent at least once: in flight, not editable
        self.cursor: str | None = None

    def queue(self, record_id: str, kind: str, data: dict[str, Any]) -> None:
        base = self.records.get(record_id, {}).get("version")
        self.outbox[record_id] = {"id": record_id, "type": kind, "base_version": base,
                                  "data": data}  # fmt: skip
        self.records[record_id] = {"type": kind, "version": base, "data": data}

    def sync(self, lose_response: bool = False) -> None:
        """One round trip; a lost response leaves the phone exactly as it was (but sent)."""
        while True:
            changes = list(self.outbox.values())
            response = self.client.post(
                "/api/v1/sync", json={"cursor": self.cursor, "changes": changes},
                headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
            assert response.status_code == 200, response.json
            self.sent |= set(self.outbox)
            if lose_response:
                return
            body = response.json
            for result in body["results"]:
                assert result["status"] != "rejected", result
                if result["status"] in ("applied", "duplicate"):
                    self.outbox.pop(result["id"])
                    self.sent.discard(result["id"])
                    self.records[result["id"]]["version"] = result["version"]
                else:  # conflict: a person would choose; here they keep the server's copy
                    self.outbox.pop(result["id"])
                    self.sent.discard(result["id"])
            for entry in body["changes"]:
                if entry["id"] in self.outbox:
                    continue  # never overwrite what the person has not yet sent
                if entry["deleted"]:
                    self.records.pop(entry["id"], None)
                else:
                    self.records[entry["id"]] = {"type": entry["type"],
                                                 "version": entry["version"],
                                                 "data": entry["data"]}  # fmt: skip
            self.cursor = body["cursor"]
            if not body["more"]:
                return

    def patients(self) -> list[str]:
        return sorted(i for i, r in self.records.items() if r["type"] == "patient")


def test_phones_converge_and_nothing_is_lost_or_doubled(app: Flask) -> None:
    class Protocol(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            db.session.remove()
            db.drop_all()
            db.create_all()
            make_user("link_worker", "amara")
            client = app.test_client()
            self.phones = {}
            for name in PHONES:
                response = client.post("/api/v1/devices", json={
                    "username": "amara", "password": PASSWORD, "name": name})  # fmt: skip
                self.phones[name] = Phone(client, response.json["token"])
            self.check_ins: dict[str, dict[str, Any]] = {}  # every check-in any phone created

        @rule(phone=st.sampled_from(PHONES), family=st.sampled_from(["Cole", "Shah", "Ng"]))
        def add_patient(self, phone: str, family: str) -> None:
            self.phones[phone].queue(str(uuid.uuid4()), "patient", {
                "given_name": "Nia", "family_name": family, "referral_reason": "Lonely",
                "needs": ["loneliness"], "consent_to_contact": True})  # fmt: skip

        @precondition(lambda self: any(p.patients() for p in self.phones.values()))
        @rule(
            phone=st.sampled_from(PHONES),
            pick=st.integers(0, 50),
            total=st.integers(3, 9),
            notes=st.sampled_from(["", "Went well", "Hard week"]),
        )
        def record_check_in(self, phone: str, pick: int, total: int, notes: str) -> None:
            device = self.phones[phone]
            if not device.patients():
                return
            patient_id = device.patients()[pick % len(device.patients())]
            answers = {"companionship": min(3, total - 2), "left_out": 1,
                       "isolated": max(1, total - 1 - min(3, total - 2))}  # fmt: skip
            answers["isolated"] = min(answers["isolated"], 3)
            record_id = str(uuid.uuid4())
            data = {"patient_id": patient_id, "captured_at": "2026-11-20T10:00:00+00:00",
                    "measures": {"ucla3": answers}, "needs": [], "notes": notes}  # fmt: skip
            device.queue(record_id, "checkin", data)
            self.check_ins[record_id] = data

        @precondition(lambda self: any(p.patients() for p in self.phones.values()))
        @rule(
            phone=st.sampled_from(PHONES),
            pick=st.integers(0, 50),
            number=st.sampled_from(["0113 496 0000", "07700 900123", None]),
        )
        def edit_phone_number(self, phone: str, pick: int, number: str | None) -> None:
            device = self.phones[phone]
            patients = [p for p in device.patients() if p not in device.sent]
            if not patients:
                return  # in flight: the app does not let the person edit it
            patient_id = patients[pick % len(patients)]
            device.queue(patient_id, "patient",
                         device.records[patient_id]["data"] | {"phone": number})  # fmt: skip

        @rule(phone=st.sampled_from(PHONES), lose_response=st.booleans())
        def sync(self, phone: str, lose_response: bool) -> None:
            self.phones[phone].sync(lose_response)

        def teardown(self) -> None:
            for _ in range(3):  # everyone syncs until nothing is left to send or receive
                for device in self.phones.values():
                    device.sync()
            assert all(not d.outbox for d in self.phones.values())
            stored = {str(c.id): c for c in db.session.scalars(db.select(CheckIn))}
            assert set(stored) == set(self.check_ins)  # every one, exactly once
            for record_id, data in self.check_ins.items():
                assert stored[record_id].notes == data["notes"]
                assert stored[record_id].measures == data["measures"]
            server = {str(p.id): p.version for p in db.session.scalars(db.select(Patient))}
            server |= {i: 1 for i in stored}
            for device in self.phones.values():
                held = {i: r["version"] for i, r in device.records.items() if r["type"] != "asset"}
                assert held == server
            db.session.remove()

    run_state_machine_as_test(
        Protocol,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )  # fmt: skip
