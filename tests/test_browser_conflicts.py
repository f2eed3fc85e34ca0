"""A conflict on the phone, in plain words: whose record, what the phone's change says and
what the server's record says now, field by field, with one tap for "Keep mine" or "Keep
theirs"; and an equal change never becomes a conflict at all."""

from __future__ import annotations

from typing import Any

from pwa.extensions import db
from pwa.models import Patient

from .test_browser import (
    accessibility_violations,
    no_sideways_scroll,
    pytestmark,  # noqa: F401 - the same browser requirement
)
from .test_browser_offline import OUTBOX_SIZE, STORE, eventually, sign_in_and_sync

CHANGE_PHONE = f"""async ([id, phone]) => {{
  const store = {STORE};
  const held = await store.getRecord(id);
  await store.saveRecord("patient", id, {{ ...held.data, phone }});
}}"""
PHONE_HELD = f"async (id) => (await ({STORE}).getRecord(id)).data.phone"


def margaret() -> Patient:
    found = db.session.scalar(db.select(Patient).where(Patient.given_name == "Margaret"))
    assert found is not None
    return found


def change_on_the_server(phone: str) -> None:
    margaret().phone = phone
    db.session.commit()


def test_a_conflict_names_the_patient_shows_both_sides_and_keeps_theirs_or_mine(
    live_server: str, page: Any, context: Any
) -> None:
    patient_id = str(margaret().id)
    db.session.commit()
    sign_in_and_sync(page, live_server)

    # Offline, the worker corrects Margaret's phone; meanwhile the office changes it too.
    context.set_offline(True)
    page.evaluate(CHANGE_PHONE, [patient_id, "0113 496 0999"])
    change_on_the_server("0113 496 0555")
    context.set_offline(False)
    page.goto(f"{live_server}/sync-status")
    page.get_by_role("button", name="Sync now").click()
    card = page.locator(".nhsuk-card", has_text="Margaret O'Brien's details")
    card.wait_for()
    row = card.locator("tr", has_text="Phone")
    assert row.locator("td").all_inner_texts() == ["0113 496 0999", "0113 496 0555"]
    assert card.locator("tbody tr").count() == 1  # only what differs
    assert accessibility_violations(page) == [] and no_sideways_scroll(page)
    card.get_by_role("button", name="Keep theirs").click()
    eventually(page, OUTBOX_SIZE, 0)
    assert page.evaluate(PHONE_HELD, patient_id) == "0113 496 0555"

    # Again, and this time the worker's change wins.
    page.evaluate(CHANGE_PHONE, [patient_id, "0113 496 0777"])
    change_on_the_server("0113 496 0666")
    page.get_by_role("button", name="Sync now").click()
    card.wait_for()
    card.get_by_role("button", name="Keep mine").click()
    eventually(page, OUTBOX_SIZE, 0)
    db.session.expire_all()
    assert margaret().phone == "0113 496 0777"

    # Different fields on each side: keeping mine keeps their change too.
    page.evaluate(CHANGE_PHONE, [patient_id, "0113 496 0111"])
    found = margaret()
    found.postcode = "LS7 1AA"
    db.session.commit()
    page.get_by_role("button", name="Sync now").click()
    card.wait_for()
    assert card.locator("tbody tr").all_inner_texts() == ["Phone\t0113 496 0111\t0113 496 0777"]
    card.get_by_text(
        "Also changed on the server, and kept whichever you choose: Postcode"
    ).wait_for()
    card.get_by_role("button", name="Keep mine").click()
    eventually(page, OUTBOX_SIZE, 0)
    db.session.expire_all()
    assert (margaret().phone, margaret().postcode) == ("0113 496 0111", "LS7 1AA")

    # The same change made on both sides is no conflict: the server settles it.
    page.evaluate(CHANGE_PHONE, [patient_id, "0113 496 0888"])
    change_on_the_server("0113 496 0888")
    page.get_by_role("button", name="Sync now").click()
    eventually(page, OUTBOX_SIZE, 0)
    assert card.count() == 0
