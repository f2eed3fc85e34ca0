"""The phone's outbox and sync client, in real Chromium against the real server.

These drive the modules directly (test_browser_offline.py drives the pages that use them): a
record saved with no signal stays on the phone until the server acknowledges it, exactly once.
"""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from typing import Any

from pwa.demo import DEMO_PASSWORD
from pwa.extensions import db
from pwa.models import CheckIn, Device, Patient, PhoneKey, utcnow

from .conftest import phone_ready
from .test_browser import module, pytestmark  # noqa: F401 - the same browser requirement

CLIENT = module("sync-client.mjs")
STORE = module("local-store.mjs")


def signed_in(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your caseload").wait_for()
    # The page enrols the phone and syncs by itself (static/app.mjs).
    page.get_by_text("Everything saved on this phone has been sent").wait_for()


def save_check_in(page: Any, record_id: str, patient_id: str) -> None:
    page.evaluate(
        f"""async ([id, patient]) => {{
            const s = {STORE};
            await s.saveRecord("checkin", id, {{
                patient_id: patient, captured_at: "2026-11-20T10:00:00+00:00",
                measures: {{ucla3: {{companionship: 2, left_out: 2, isolated: 3}}}},
                needs: [], notes: "Saved with no signal"}});
        }}""",
        [record_id, patient_id],
    )


def sync(page: Any) -> dict[str, Any]:
    """Sync now; the result as the status line reads it (how much changed is for redrawing)."""
    result: dict[str, Any] = page.evaluate(
        f"async () => {{ const c = {CLIENT}; return await c.syncNow(); }}"
    )
    result.pop("changed", None)
    return result


def amaras_patient() -> str:
    found = db.session.scalar(
        db.select(Patient.id).where(Patient.status == "active",
                                    Patient.link_worker.has(username="amara")).limit(1)
    )  # fmt: skip
    db.session.commit()  # end the read: SQLite's lock would stall the server's threads
    return str(found)


def stored(record_id: str) -> int:
    count = db.session.scalar(
        db.select(db.func.count(CheckIn.id)).where(CheckIn.id == uuid.UUID(record_id))
    )
    db.session.commit()
    return count


def test_a_check_in_saved_offline_reaches_the_server_once_back_online(
    live_server: str, page: Any, context: Any
) -> None:
    signed_in(page, live_server)
    record_id = str(uuid.uuid4())
    context.set_offline(True)
    save_check_in(page, record_id, amaras_patient())
    offline = sync(page)
    assert offline == {"ok": False, "reason": "offline", "pending": 1, "attention": 0}
    assert stored(record_id) == 0
    context.set_offline(False)
    assert sync(page) == {"ok": True, "pending": 0, "attention": 0}
    assert stored(record_id) == 1
    assert sync(page)["ok"] and stored(record_id) == 1


def test_a_lost_response_after_the_server_applied_leaves_one_copy(
    live_server: str, page: Any
) -> None:
    signed_in(page, live_server)
    record_id = str(uuid.uuid4())
    save_check_in(page, record_id, amaras_patient())

    def apply_then_lose(route: Any) -> None:
        route.fetch()  # the server gets and applies the batch...
        route.abort()  # ...and the phone never hears back

    page.route("**/api/v1/sync", apply_then_lose)
    assert sync(page)["reason"] == "offline"
    assert stored(record_id) == 1
    page.unroute("**/api/v1/sync")
    # In flight: the person cannot change it now (a correction would be a new check-in).
    refused = page.evaluate(
        f"""async (id) => {{ const s = {STORE};
            try {{ await s.saveRecord("checkin", id, {{}}); return "saved"; }}
            catch (e) {{ return e.message; }} }}""",
        record_id,
    )
    assert "cannot be changed" in refused
    assert sync(page) == {"ok": True, "pending": 0, "attention": 0}
    assert stored(record_id) == 1


def test_an_expired_token_keeps_everything_until_the_person_signs_in_again(
    live_server: str, page: Any
) -> None:
    signed_in(page, live_server)
    record_id = str(uuid.uuid4())
    save_check_in(page, record_id, amaras_patient())
    db.session.execute(db.update(Device).values(last_seen_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    assert sync(page) == {"ok": False, "reason": "sign_in", "pending": 1, "attention": 0}
    assert stored(record_id) == 0
    page.reload()  # the page enrols the phone again (its sign-in is recent)
    phone_ready(page)
    assert sync(page)["ok"] and stored(record_id) == 1
    # A page's enrolment gets a new device key (only a typed password gets the old one back);
    # the unlocked phone has wrapped its secret under it, so a forgotten PIN still recovers.
    newest = db.session.scalar(
        db.select(PhoneKey).join(Device, Device.phone_key_id == PhoneKey.id)
        .order_by(Device.created_at.desc()).limit(1)
    )  # fmt: skip
    key = {"id": newest.id, "key": base64.urlsafe_b64encode(newest.secret).decode().rstrip("=")}
    db.session.commit()
    assert page.evaluate(
        f"async (key) => ({module('keyring.mjs')}).deviceKeyOpens(key)",
        key,
    )


def test_a_rejected_record_stays_on_the_phone_needing_attention(
    live_server: str, page: Any
) -> None:
    signed_in(page, live_server)
    record_id = str(uuid.uuid4())
    save_check_in(page, record_id, str(uuid.uuid4()))  # a patient the server does not know
    assert sync(page) == {"ok": True, "pending": 0, "attention": 1}
    held = page.evaluate(
        f"async (id) => {{ const s = {STORE}; return (await s.openStore()).get('records', id); }}",
        record_id,
    )
    assert held["status"] == "needs attention"


def test_a_revoked_device_wipes_what_it_holds(live_server: str, page: Any) -> None:
    signed_in(page, live_server)
    assert sync(page)["ok"]
    db.session.execute(db.update(Device).values(revoked_at=utcnow()))
    db.session.commit()
    assert sync(page)["reason"] == "device_revoked"
    left = page.evaluate(
        f"async () => {{ const s = {STORE}; return (await s.openStore()).count('records'); }}"
    )
    assert left == 0


def test_a_second_person_on_the_phone_never_sees_the_firsts_records(
    live_server: str, page: Any, context: Any
) -> None:
    signed_in(page, live_server)
    assert sync(page)["ok"]
    patients = f"""async () => {{ const s = {STORE};
        return (await s.recordsOfType('patient')).map((r) => r.id).sort(); }}"""
    amaras = page.evaluate(patients)
    assert amaras

    def switch_to_ben() -> Any:
        context.clear_cookies()
        page.goto(f"{live_server}/sign-in")
        page.get_by_label("Username").fill("ben")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Your caseload").wait_for()

    # Amara has a check-in the phone cannot send yet: Ben's page refuses to enrol the phone
    # for him, says why, and her records stay.
    page.route("**/api/v1/sync", lambda route: route.abort())
    save_check_in(page, str(uuid.uuid4()), amaras_patient())
    switch_to_ben()
    page.get_by_text("Amara Okafor has records not yet sent from this phone").wait_for()
    assert page.evaluate(patients) == amaras
    # Once nothing of hers is waiting (as after she syncs), Ben's enrolment clears her records.
    page.evaluate(f"async () => {{ const s = {STORE}; (await s.openStore()).clear('outbox'); }}")
    page.unroute("**/api/v1/sync")
    switch_to_ben()
    page.get_by_text("Everything saved on this phone has been sent").wait_for()
    assert not set(page.evaluate(patients)) & set(amaras)


def test_an_open_page_never_blocks_a_newer_version_of_the_app_upgrading_the_database(
    live_server: str, page: Any, context: Any
) -> None:
    signed_in(page, live_server)  # this page holds its connection to the store
    newer = context.new_page()
    newer.goto(f"{live_server}/healthz")
    outcome = newer.evaluate("""() => new Promise((resolve) => {
        const request = indexedDB.open("link-worker", 3);
        request.onblocked = () => resolve("blocked");
        request.onsuccess = () => { request.result.close(); resolve("upgraded"); };
        request.onerror = () => resolve(request.error.name);
    })""")
    assert outcome == "upgraded"


def test_a_cursor_the_server_no_longer_takes_starts_the_pull_again(
    live_server: str, page: Any
) -> None:
    signed_in(page, live_server)
    record_id = str(uuid.uuid4())
    save_check_in(page, record_id, amaras_patient())
    # An unsigned cursor, as an older release of the server gave out.
    page.evaluate(f"async () => {{ const s = {STORE}; await s.setMeta('cursor', 'djI6NTowOg'); }}")
    assert sync(page) == {"ok": True, "pending": 0, "attention": 0}
    assert stored(record_id) == 1
    cursor = page.evaluate(
        f"async () => {{ const s = {STORE}; return await s.getMeta('cursor'); }}"
    )
    assert cursor and cursor != "djI6NTowOg"
    held = page.evaluate(
        f"async () => {{ const s = {STORE}; return (await s.recordsOfType('patient')).length; }}"
    )
    assert held == 6  # her whole caseload, pulled again from the start


def test_a_patient_who_leaves_takes_every_record_of_theirs_off_the_phone(
    live_server: str, page: Any
) -> None:
    signed_in(page, live_server)
    patient_id = amaras_patient()
    # A record of theirs the server could not name as deleted (changed after they left, or
    # made before this release recorded when each record was created).
    page.evaluate(
        f"""async (patient) => {{
            const s = {STORE};
            await (await s.openStore()).put("records", {{id: crypto.randomUUID(),
                type: "followup", version: 3, status: "sent",
                data: {{patient_id: patient, due_at: "2026-12-01T09:00:00+00:00", kind: "call"}}}});
        }}""",
        patient_id,
    )
    held = f"async (p) => {{ const s = {STORE}; return (await s.recordsForPatient(p)).length; }}"
    assert page.evaluate(held, patient_id) > 0
    patient = db.session.get(Patient, uuid.UUID(patient_id))
    patient.link_worker_id = db.session.scalar(
        db.select(Patient.link_worker_id).where(Patient.link_worker_id != patient.link_worker_id)
    )
    db.session.commit()
    assert sync(page)["ok"]
    assert page.evaluate(held, patient_id) == 0
    gone = f"async (p) => {{ const s = {STORE}; return (await s.getRecord(p)) === undefined; }}"
    assert page.evaluate(gone, patient_id)
