"""Web sessions that end on the server (DESIGN.md, "Sessions, devices and push endpoints").

The session cookie (signed by Flask) carries a random session key as Flask-Login's user id: the
"alternative id" pattern. The server keeps the key's digest in `web_sessions`, so it can end a
session at once, whoever holds a copy of its cookie:

- signing out ends that session, and the phones it enrolled (their data stays on them);
- a password change ends every other session of the person, and every phone not enrolled by
  the session that made the change;
- a role change or a deactivation ends all of them (a deactivation revokes the phones too);
- a session also ends PERMANENT_SESSION_LIFETIME after it began, however busy it has been.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user
from sqlalchemy import or_, select, update

from .devices import end_devices, token_digest
from .extensions import db
from .models import Device, User, WebSession, utcnow

# last_seen_at is written at most this often: a busy page does not write on every request.
SEEN_RESOLUTION = timedelta(minutes=5)


# The only answers to a request that is not signed in that may write the session cookie: the
# pages that sign in or give someone not signed in yet a form (its CSRF token, then the
# signed-in session: the sign-in page, and using a one-time code) and signing out.
SESSION_WRITERS = {
    "sign_in.sign_in",
    "sign_in.sign_out",
    "access_links.join",
    "access_links.redeem",
}


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with one rule on top: only a signed-in answer, the sign-in
    page or signing out writes the cookie, and never an answer `leave_session_cookie` marked.

    Any other answer may be to a request sent before a sign-in that has happened since (the
    service worker precaching, a page still loading): its cookie, arriving late, would replace
    the new session's and sign the person out (DESIGN.md: no anonymous response may).
    """

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if g.get("leave_session_cookie"):
            return
        # Only a changed session writes the cookie (SESSION_REFRESH_EACH_REQUEST is off), so
        # the signed-in person is looked up only then, never for a static file.
        would_write = session.modified and request.endpoint not in SESSION_WRITERS
        if would_write and not current_user.is_authenticated:
            return
        super().save_session(app, session, response)


def leave_session_cookie() -> None:
    """Mark this answer as one that must not touch the session cookie.

    For data-free answers that may arrive after the person has signed in: the service worker's
    precache of the shell, and error pages for a request that was not signed in. Written late,
    their cookie would replace the new session's (DESIGN.md: no anonymous response may).
    """
    g.leave_session_cookie = True


def start_session(user: User) -> WebSession:
    """Begin a web session for a person who has just proved who they are.

    Flask-Login's `login_user` then keeps its key in the cookie (User.get_id).
    """
    key = secrets.token_urlsafe(32)
    row = WebSession(user_id=user.id, key_hash=token_digest(key), created_at=utcnow(),
                     last_seen_at=utcnow())  # fmt: skip
    db.session.add(row)
    db.session.flush()
    g.web_session, g.web_session_key = row, key
    return row


def user_for_session_key(key: str) -> User | None:
    """Return the person a session key belongs to while the session lasts, else None.

    Flask-Login's user loader: None sends the request to the sign-in page, as for no cookie.
    """
    row = db.session.scalar(select(WebSession).where(WebSession.key_hash == token_digest(key)))
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    now = utcnow()
    if now - row.created_at > current_app.config["PERMANENT_SESSION_LIFETIME"]:
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        db.session.commit()  # before the view runs: a view that rolls back must not undo it
    g.web_session, g.web_session_key = row, key
    return row.user


def current_web_session() -> WebSession | None:
    """Return the web session this request was signed in with, if any."""
    return g.get("web_session") if has_request_context() else None


def session_key_for(user: User) -> str:
    """Return the key of this request's web session, which must be the user's."""
    row = current_web_session()
    if row is None or row.user_id != user.id:
        raise RuntimeError("Start a web session (pwa/sessions.py) before signing in.")
    return str(g.web_session_key)


def end_session(row: WebSession, reason: str, *, phones: bool = True) -> None:
    """End one web session and, unless `phones` is False, the phones it enrolled (they keep
    their data)."""
    _end(WebSession.id == row.id, reason)
    if phones:
        end_devices(Device.web_session_id == row.id, reason)


def end_sessions_of(user: User, reason: str, *, keep: WebSession | None = None) -> None:
    """End every web session of a person and every phone they enrolled, but `keep`'s.

    `keep` is the session making a change to its own account (a password change): it carries
    on, with the phones it enrolled; everything else must sign in again.
    """
    sessions: Any = WebSession.user_id == user.id
    devices: Any = Device.user_id == user.id
    if keep is not None:
        sessions = (WebSession.user_id == user.id) & (WebSession.id != keep.id)
        devices = (Device.user_id == user.id) & or_(
            Device.web_session_id.is_(None), Device.web_session_id != keep.id
        )
    _end(sessions, reason)
    end_devices(devices, reason)


def _end(which: Any, reason: str) -> None:
    db.session.execute(
        update(WebSession)
        .where(which, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason),
        execution_options={"synchronize_session": "fetch"},
    )
