"""Layer the configuration: defaults, then instance/config.py, then the environment, then tests."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "lw_session",
    # A staff session lasts a working day; signing in again after that is expected.
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
    # A session lasts 10 hours from sign-in, and only a response that changes the session sets
    # its cookie: otherwise a response that started before another one changed the session (the
    # service worker precaching as a page loads) writes the older copy back, losing the CSRF
    # token the page was just given.
    "SESSION_REFRESH_EACH_REQUEST": False,
    # Web Push: the VAPID private key (PEM), generated into instance/ when not set.
    "VAPID_PRIVATE_KEY_FILE": None,
    # Who runs this server, for push services to contact: mailto: or https: (Apple refuses
    # others). Sending refuses to start without it.
    "VAPID_SUBJECT": None,
    # Push endpoints must be https on a known push service (pwa/push_endpoints.py); more hosts
    # here, e.g. ["push.example.org", "*.push.example.net"].
    "PUSH_EXTRA_HOSTS": [],
    # Tests only: the tests' fake push service listens on http://127.0.0.1.
    "PUSH_ALLOW_LOOPBACK_HTTP": False,
    # How long one push may take before the run moves on (and skips that push service's other
    # pushes until the next run).
    "PUSH_TIMEOUT_SECONDS": 10,
    # `flask send-reminders` sends only between these local hours (from 08:00, until 20:00):
    # nobody is woken by a follow-up, and what gathers overnight goes out in the morning.
    "REMINDER_HOURS": (8, 20),
    # `flask prune-push` keeps push notices and deliveries this many days (pwa/housekeeping.py).
    "PUSH_RETENTION_DAYS": 30,
    # When a check-in means its patient may need help (pwa/measures.py HelpThresholds, with
    # the sources): a practice may change any, e.g. {"anxiety_high_from": 7}. The older
    # SWEMWBS_ALERT_BELOW setting still sets swemwbs_below.
    "HELP_THRESHOLDS": {},
    # Shown to patients in "If you need help" until an admin writes the practice's own words.
    "PRACTICE_NAME": "your GP practice",
    # hide_parameters: a database error's message never carries the values (names, notes) that
    # were being written, so it can be logged safely.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    # argon2id at argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 3 passes, 4 lanes), above
    # OWASP's minimum of 19 MiB, 2 passes, 1 lane.
    "ARGON2_MEMORY_KIB": 65536,
    "ARGON2_TIME_COST": 3,
    "ARGON2_PARALLELISM": 4,
    # Failed sign-ins (pwa/throttle.py), page and API together: a browser that signed in as the
    # person before counts on its own; any other try counts per username and address, per
    # username and per address.
    "SIGN_IN_KNOWN_BROWSER_LIMITS": "10 per 15 minutes",
    "SIGN_IN_LIMITS": "5 per 15 minutes",
    "SIGN_IN_USERNAME_LIMITS": "20 per hour",
    "SIGN_IN_ADDRESS_LIMITS": "50 per hour",
    # Where the counters live, shared by every worker: this database, or redis://host:6379.
    "RATELIMIT_STORAGE_URI": "database://",
    "PRACTICE_TIMEZONE": "Europe/London",
    # The community directory's review list (pwa/directory_review.py): an asset whose details
    # nobody has confirmed for this many months, or whose referrals that reached an outcome in
    # the last year were mostly declined (at least this many), is listed for an admin.
    "ASSET_CHECK_MONTHS": 6,
    "ASSET_DECLINED_AT_LEAST": 3,
    "FORCE_HTTPS": False,
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (Werkzeug's
    # ProxyFix): 0 trusts none, as the app must when it faces the internet itself. Sign-in
    # counts key on the address this yields.
    "TRUSTED_PROXIES": 0,
    # Compress the API's JSON (the first sync is ~300 KB of JSON, ~26 KB compressed): Brotli
    # or gzip, as the phone accepts (Flask-Compress). Never HTML: a page holds its CSRF token
    # beside what the person typed, and compressing the two together leaks the token (BREACH).
    # The API is safe: its answers go only to a bearer token, which no other site can send.
    "COMPRESS_MIMETYPES": ["application/json", "application/manifest+json"],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIN_SIZE": 1000,
    "COMPRESS_BR_LEVEL": 4,
    # A device token unused this long stops working; the phone keeps its data and signs in again.
    "DEVICE_IDLE_DAYS": 14,
    # ...and one enrolled longer ago than this, however busy (the phone signs in again).
    "DEVICE_MAX_DAYS": 30,
    # A signed-in page enrols its phone only this soon after signing in: a token outlives the
    # page's session, so an old (perhaps copied) session cookie must not mint one.
    "ENROL_AFTER_SIGN_IN_MINUTES": 60,
    # A phone's sealed records lock after this long with nobody using the app, or this long
    # after the app is hidden (docs/phone-data.md); the PIN opens them again.
    "PHONE_LOCK_IDLE_SECONDS": 300,
    "PHONE_LOCK_HIDDEN_SECONDS": 180,
    # One-time links (pwa/access_links.py): a patient's invitation lasts a week, a password
    # reset a day; tries at codes are counted per address.
    "INVITATION_VALID_DAYS": 7,
    "PASSWORD_RESET_VALID_HOURS": 24,
    "ACCESS_CODE_ADDRESS_LIMITS": "20 per hour",
    "SYNC_PAGE_SIZE": 500,
    # Request bodies (pwa/input_limits.py): a sync's 500 records, a page's form (a check-in's
    # 10,000-character notes, percent-encoded, fit), and signing in.
    "SYNC_MAX_BYTES": 2 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "MAX_FORM_PARTS": 200,
    "SIGN_IN_MAX_BYTES": 16 * 1024,
    # Changes a phone sent that the server kept for an admin to review, at most this many
    # unresolved per phone (the phone itself keeps every one, flagged for its person).
    "SYNC_REVIEWS_PER_DEVICE": 200,
}


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Load every layer of configuration into app.config, generating secrets on first run."""
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
        Path(app.instance_path) / "pwa.sqlite3"
    )
    app.config.from_pyfile("config.py", silent=True)
    # FLASK_-prefixed variables (JSON-parsed, e.g. FLASK_SESSION_COOKIE_SECURE=false) and the
    # conventional unprefixed names deployments already use.
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(os.environ["DATABASE_URL"])
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")


def _sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for the postgres:// URLs hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _instance_secret(path: Path) -> str:
    """Read a secret from the instance folder, creating it (readable by us alone) the first time."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_hex(32)
    # O_EXCL: if two processes start at once, one writes and the other reads what it wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
