"""Device keys: the server's half of what opens the records sealed on a phone.

A phone seals what it holds under a random data key, kept on the phone only wrapped: under a
key from the PIN its person chose, and under this device key (docs/phone-data.md). The server
gives a phone's existing key back in one place only, the answer to an enrolment made with the
password typed there and then: so a forgotten PIN costs nothing, and a revoked key never opens
anything again, on a phone that never comes back online as much as on one that does.
"""

from __future__ import annotations

import base64
import secrets

from .audit import audit
from .devices import end_devices
from .extensions import db
from .models import Device, PhoneKey, User, utcnow


class PhoneKeyRevoked(Exception):
    """The phone asked for a key an admin revoked: it must never open its records again."""


def key_for_enrolment(
    user: User, device: Device, asked_id: str | None, *, by_password: bool
) -> PhoneKey:
    """Return the device key for a phone `user` has just enrolled, and bind `device` to it.

    A phone that names a key it was given before (`asked_id`) gets that key back if it is
    `user`'s own and the password was typed for this enrolment (`by_password`): a page
    session is not enough, since whoever holds a lost phone may hold its session too, and the
    key opens what the phone holds without the PIN. The earlier enrolments of the same phone
    then end (their tokens are sealed on the phone and the new token replaces them). Otherwise
    (a page's enrolment, an unknown key from a server restored from an older backup, or
    someone else's) the phone gets a new key, and learns nothing of the one it named; an
    unlocked phone wraps its secret under the new key. A revoked key raises PhoneKeyRevoked,
    however the phone signed in.
    """
    key = db.session.get(PhoneKey, asked_id) if asked_id else None
    if key is not None and key.user_id != user.id:
        key = None
    if key is not None and key.revoked_at is None and not by_password:
        key = None
    if key is not None and key.revoked_at is not None:
        raise PhoneKeyRevoked
    if key is None:
        key = PhoneKey(id=secrets.token_urlsafe(32), user_id=user.id,
                       secret=secrets.token_bytes(32), created_at=utcnow())  # fmt: skip
        db.session.add(key)
        db.session.flush()
    else:
        end_devices((Device.phone_key_id == key.id) & (Device.id != device.id), "replaced")
        # Given again: what opens a phone's records (after a forgotten PIN) is on the record.
        audit("device.key_given_again", record_type="device", record_id=str(device.id),
              user_id=user.id)  # fmt: skip
    device.phone_key_id = key.id
    key.released_at = utcnow()
    return key


def key_answer(key: PhoneKey) -> dict[str, str]:
    """The key as the enrolment's answer gives it: its name and its 256 bits, base64url."""
    return {"id": key.id, "key": base64.urlsafe_b64encode(key.secret).rstrip(b"=").decode()}
