"""The records on the phone, sealed under a PIN: read as an attacker with the phone would.

Issue 11's checks (a)-(d): nothing in IndexedDB reads in plain; the phone locks when idle and
shows nothing until the PIN; a wrong PIN never opens it, the right one does, a forgotten one is
replaced after an online sign-in with every unsent record intact; a revoked phone never opens
its records again. And a phone holding version 2's plain records seals them without losing an
unsent one. (e), the restore round trip, runs sealed in test_browser_restore.py.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from pwa.demo import DEMO_PASSWORD
from pwa.devices import revoke_devices
from pwa.extensions import db
from pwa.models import CheckIn, Device, Patient, User

from .conftest import TEST_PIN, phone_ready
from .test_browser import (  # noqa: F401 - pytestmark: the same browser requirement
    accessibility_violations,
    module,
    pytestmark,
)
from .test_browser_offline import (
    OUTBOX_SIZE,
    count,
    eventually,
    save_check_in_offline,
    sign_in_and_sync,
)

STORE = module("local-store.mjs")
KEYRING = module("keyring.mjs")
# Every store of the phone's database as it lies on disk: what someone with the phone reads.
RAW_DUMP = """() => new Promise((resolve, reject) => {
    const request = indexedDB.open("link-worker");
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
        const db = request.result;
        const names = [...db.objectStoreNames];
        const tx = db.transaction(names);
        const out = {};
        for (const name of names) {
            const store = tx.objectStore(name);
            const keys = store.getAllKeys();
            const values = store.getAll();
            values.onsuccess = () => { out[name] = { keys: keys.result, values: values.result }; };
        }
        const show = (key, value) => (value instanceof ArrayBuffer || ArrayBuffer.isView(value))
            ? `bytes:${btoa(String.fromCharCode(...new Uint8Array(value.buffer ?? value)))}`
            : (value instanceof CryptoKey ? `key:${value.algorithm.name}` : value);
        tx.oncomplete = () => { db.close(); resolve(JSON.stringify(out, show)); };
    };
})"""


def the_page_shows_nothing_of(page: Any, patients: list[Seen]) -> None:
    text = page.evaluate("document.body.innerText")
    html = page.content()
    for patient in patients:
        assert patient.family_name not in text and patient.family_name not in html
        if patient.nhs_number:
            assert patient.nhs_number not in html


def choose_pin(page: Any, pin: str = TEST_PIN) -> None:
    page.get_by_label("Choose a PIN").fill(pin)
    page.get_by_label("Type the PIN again").fill(pin)
    page.get_by_role("button", name="Save PIN").click()


def sign_in(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def first_sign_in_on_the_phone(page: Any, live_server: str) -> None:
    """Sign in as Amara, choose the PIN by hand, and wait for the first sync."""
    sign_in(page, live_server)
    choose_pin(page)
    page.get_by_text("Everything saved on this phone has been sent").wait_for()


def enter_pin(page: Any, pin: str) -> None:
    page.get_by_label("PIN", exact=True).fill(pin)
    page.get_by_role("button", name="Unlock").click()


def lock_now(page: Any) -> None:
    page.evaluate(f"async () => {{ await ({KEYRING}).lock(); }}")


@dataclass(frozen=True)
class Seen:
    """What a person could read of a patient: detached from the session, so reading it never
    opens a transaction (SQLite's lock would stall the server's threads)."""

    id: str
    given_name: str
    family_name: str
    date_of_birth: str
    nhs_number: str | None


def amaras_patients() -> list[Seen]:
    amara = db.session.scalar(db.select(User.id).where(User.username == "amara"))
    patients = [
        Seen(str(p.id), p.given_name, p.family_name, str(p.date_of_birth), p.nhs_number)
        for p in db.session.scalars(db.select(Patient).where(Patient.link_worker_id == amara))
    ]
    db.session.commit()
    return patients


def test_nothing_on_the_phone_reads_in_plain(live_server: str, page: Any, context: Any) -> None:
    sign_in_and_sync(page, live_server)
    patients = amaras_patients()
    assert patients and any(p.nhs_number for p in patients)
    # An unsent check-in (the outbox), a half-typed form (a draft), and the synced caseload.
    page.route("**/api/v1/sync", lambda route: route.abort())
    save_check_in_offline(page, context, "Worried about the gas bill")
    context.set_offline(False)
    patricia = next(p for p in patients if p.given_name == "Patricia")
    form_path = f"/patients/{patricia.id}/check-ins/new"
    page.goto(f"{live_server}{form_path}")
    page.get_by_label("Notes (optional)").fill("Sister visits on Sundays")
    eventually(page, f"async () => Boolean(await ({STORE}).getDraft('{form_path}'))")

    dump = page.evaluate(RAW_DUMP)
    stores = set(re.findall(r'"(records|outbox|drafts|meta)":\{"keys"', dump))
    assert stores == {"records", "outbox", "drafts", "meta"}
    assert dump.count('"box":') > len(patients)  # the records are there, sealed
    for patient in patients:
        for plain in (
            patient.given_name,
            patient.family_name,
            patient.date_of_birth,
            patient.nhs_number or patient.family_name,
        ):
            assert plain not in dump, plain
    for plain in (
        "Worried about the gas bill",
        "Sister visits on Sundays",
        "Amara Okafor",
        '"measures"',
        '"scores"',
        '"notes"',
        '"data"',
        '"patient_id"',
        "Bearer",
    ):
        assert plain not in dump, plain
    # Nor in the browser's other storage.
    other = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert "Patricia" not in other and "Worried" not in other


@pytest.mark.manual_pin
def test_a_wrong_pin_never_opens_and_a_forgotten_one_is_replaced_after_signing_in(
    live_server: str, page: Any, context: Any
) -> None:
    first_sign_in_on_the_phone(page, live_server)
    # A check-in that has not reached the server when the PIN is forgotten.
    page.route("**/api/v1/sync", lambda route: route.abort())
    save_check_in_offline(page, context, "Saved before the PIN was forgotten")
    context.set_offline(False)
    lock_now(page)
    page.goto(f"{live_server}/caseload")

    enter_pin(page, "999999")
    page.get_by_role("alert").get_by_text("That is not your PIN. 4 tries left.").wait_for()
    assert page.locator("main").is_hidden()
    assert page.evaluate(f"async () => ({KEYRING}).isUnlocked()") is False
    enter_pin(page, TEST_PIN)
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.goto(f"{live_server}/settings")  # locked by hand, as a person leaving the phone would
    page.get_by_role("button", name="Lock now").click()
    page.get_by_role("heading", name="This phone is locked").wait_for()

    # Forgotten. Whoever holds the phone may hold its signed-in session too, so the session
    # is not enough: the server gives the device key for the password typed now.
    page.goto(f"{live_server}/caseload")
    page.get_by_role("button", name="Forgotten your PIN?").click()
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").get_by_text("The username or password is not right").wait_for()
    assert page.get_by_role("heading", name="Choose a new PIN").count() == 0
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Choose a new PIN").wait_for()
    choose_pin(page, "482916")
    page.get_by_role("heading", name="Your caseload").wait_for()
    assert page.evaluate(OUTBOX_SIZE) == 1  # the unsent check-in is intact

    lock_now(page)
    page.reload()
    enter_pin(page, TEST_PIN)  # the old PIN no longer opens
    page.get_by_role("alert").get_by_text("That is not your PIN.").wait_for()
    enter_pin(page, "482916")
    page.get_by_role("heading", name="Your caseload").wait_for()
    page.unroute("**/api/v1/sync")
    page.reload()
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Saved before the PIN was forgotten") == 1


@pytest.mark.manual_pin
def test_a_revoked_phone_never_opens_its_records_again_even_offline(
    live_server: str, page: Any, context: Any
) -> None:
    first_sign_in_on_the_phone(page, live_server)
    patients = amaras_patients()
    context.set_offline(True)
    lock_now(page)
    page.reload()  # the offline shell, locked
    page.get_by_role("heading", name="This phone is locked").wait_for()

    # Lost: an admin revokes it. The phone never hears of it: it has no signal.
    revoke_devices(
        Device.user_id == db.session.scalar(db.select(User.id).where(User.username == "amara"))
    )
    db.session.commit()
    enter_pin(page, "")  # a slip of the thumb is not a try
    page.get_by_role("alert").get_by_text("Enter your PIN").wait_for()
    for tries_left in (4, 3, 2, 1):
        enter_pin(page, f"99999{tries_left}")
        page.get_by_role("alert").get_by_text(f"{tries_left} tr").wait_for()
    enter_pin(page, "999990")
    page.get_by_role("heading", name="Sign in to open your records").wait_for()
    dump = page.evaluate(RAW_DUMP)
    assert '"key_pin"' not in dump and '"unlocked"' not in dump
    the_page_shows_nothing_of(page, patients)

    # Back online, with her password, the server refuses the key: the phone wipes itself.
    context.set_offline(False)
    page.goto(f"{live_server}/caseload")
    page.get_by_role("button", name="Sign in with your password").click()
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="This phone has been signed out").wait_for()
    assert page.evaluate(f"async () => (await ({STORE}).openStore()).count('records')") == 0


def test_a_phone_with_version_2s_plain_records_seals_them_and_loses_no_unsent_one(
    live_server: str, page: Any
) -> None:
    patricia_id = str(
        db.session.scalar(db.select(Patient.id).where(Patient.given_name == "Patricia"))
    )
    amara_id = str(db.session.scalar(db.select(User.id).where(User.username == "amara")))
    db.session.commit()  # end the read: SQLite's lock would stall the server's threads
    check_in = str(uuid.uuid4())
    data = {
        "patient_id": patricia_id,
        "captured_at": "2026-11-20T10:00:00+00:00",
        "notes": "Kept in plain by version 2",
        "measures": {"ucla3": {"companionship": 2, "left_out": 2, "isolated": 3}},
    }
    page.goto(f"{live_server}/healthz")  # same origin, and no script of ours opens the database
    page.evaluate(
        """([id, data, patient, userId]) => new Promise((resolve, reject) => {
        // The schema and plain records as version 2 of local-store.mjs kept them.
        const request = indexedDB.open("link-worker", 2);
        request.onupgradeneeded = () => {
            const db = request.result;
            const records = db.createObjectStore("records", { keyPath: "id" });
            records.createIndex("type", "type");
            records.createIndex("patient_id", "data.patient_id");
            db.createObjectStore("outbox", { keyPath: "id" }).createIndex("queued", "queued");
            db.createObjectStore("meta");
            db.createObjectStore("drafts", { keyPath: "path" });
            const tx = request.transaction;
            records.put({ id: patient.id, type: "patient", version: 1, data: patient,
                          status: "sent" });
            records.put({ id, type: "checkin", version: null, data, status: "pending" });
            tx.objectStore("outbox").put({ id, type: "checkin", base_version: null, data, queued: 1,
                                          sent: false, attention: null, original: null });
            tx.objectStore("drafts").put({ path: "/caseload", fields: [["q", "Walsh"]],
                                           user: userId, saved: "2026-11-20T10:00:00Z" });
            tx.objectStore("meta").put("an-old-token", "token");
            tx.objectStore("meta").put({ id: userId, role: "link_worker",
                                         display_name: "Amara Okafor" }, "user");
            tx.objectStore("meta").put(1, "queued");
        };
        request.onsuccess = () => { request.result.close(); resolve(); };
        request.onerror = () => reject(request.error);
    })""",
        [
            check_in,
            data,
            {"id": patricia_id, "given_name": "Patricia", "family_name": "Walsh"},
            amara_id,
        ],
    )
    page.route("**/api/v1/sync", lambda route: route.abort())  # look before it is sent
    sign_in(page, live_server)
    phone_ready(page)  # chooses the PIN: the plain records are sealed there and then
    dump = page.evaluate(RAW_DUMP)
    for plain in (
        "Kept in plain by version 2",
        "Walsh",
        "an-old-token",
        "Amara Okafor",
        '"patient_id"',
    ):
        assert plain not in dump, plain
    held = page.evaluate(
        f"""async (id) => {{ const s = {STORE};
        return [(await s.openStore()).version, (await s.outboxEntries()).map((e) => e.data.notes),
                (await s.getRecord(id)).status, (await s.recordsForPatient(
                    (await s.getRecord(id)).data.patient_id)).length]; }}""",
        check_in,
    )
    assert held == [3, ["Kept in plain by version 2"], "pending", 1]
    page.unroute("**/api/v1/sync")
    page.reload()
    eventually(page, OUTBOX_SIZE, 0)
    assert count(CheckIn, CheckIn.notes == "Kept in plain by version 2") == 1


@pytest.mark.manual_pin
def test_two_tabs_choosing_a_pin_at_once_never_make_a_second_set_of_keys(
    live_server: str, page: Any, context: Any
) -> None:
    sign_in(page, live_server)
    page.get_by_role("heading", name="Choose a PIN for this phone").wait_for()
    other = context.new_page()
    other.goto(f"{live_server}/caseload")
    other.get_by_role("heading", name="Choose a PIN for this phone").wait_for()
    choose_pin(page)
    page.get_by_text("Everything saved on this phone has been sent").wait_for()
    context.route("**/api/v1/sync", lambda route: route.abort())  # both tabs: look first
    save_check_in_offline(page, context, "Saved in the first tab")
    context.set_offline(False)
    # The second tab's PIN comes too late: the first tab's keys stand, and it opens under them.
    choose_pin(other, "731902")
    other.get_by_role("heading", name="Your caseload").wait_for()
    opened = f"async () => (await ({STORE}).outboxEntries()).map((e) => e.data.notes)"
    assert other.evaluate(opened) == ["Saved in the first tab"]
    assert page.evaluate(opened) == ["Saved in the first tab"]
