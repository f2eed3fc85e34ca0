"""Send the browser security headers: a strict Content Security Policy, no framing, no sniffing."""

from __future__ import annotations

from flask import Flask, Response
from flask_talisman import Talisman

talisman = Talisman()

# Scripts and styles come only from this site; NHS.UK's CSS loads its font from assets.nhs.uk.
# The one inline script (NHS.UK's "js-enabled" class) carries a per-request nonce.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self' https://assets.nhs.uk",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def forbid_storing(response: Response) -> Response:
    """Keep pages and API answers (patient data, behind sign-in) out of every cache.

    Responses that say how they may be cached keep it: static files, the service worker and the
    data-free app shell.
    """
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Attach the headers, following the app's own cookie and HTTPS settings."""
    app.after_request(forbid_storing)
    talisman.init_app(
        app,
        # TLS usually ends at a proxy in front of the app, which should redirect; set
        # FLASK_FORCE_HTTPS=true when the app itself faces the internet.
        force_https=app.config["FORCE_HTTPS"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
        # Talisman sets the session cookie flags too: keep the ones configured in config.py.
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
