"""Serve what makes the site an installable app: the service worker, its manifest, offline page."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import brotli
from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import static_files
from ..caseload_filter import DUE_CHOICES, ORDER_CHOICES
from ..casework.follow_ups import DONE_EARLY
from ..forms.check_in import CheckInForm
from ..forms.contact import ContactForm
from ..forms.follow_up import FollowUpForm
from ..forms.patient import PatientForm
from ..forms.referral import ReferralForm
from ..measures import MEASURES, HelpThresholds, measures_data
from ..models import (
    ASSET_CATEGORIES,
    CONTACT_KINDS,
    DISCHARGE_REASONS,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    NEEDS,
    REFERRAL_STATUSES,
)
from ..practice import practice_text
from ..progress import PATIENT_FOLLOW_UP_KINDS, PATIENT_REFERRAL_STATUSES, TRACKED
from ..review_words import LABELS, STATUS
from ..sessions import current_web_session, leave_session_cookie
from ..timeline import REFERRAL_TAG_COLOURS
from .help import PUBLIC_PAGES

bp = Blueprint("app_shell", __name__)

STATIC = Path(__file__).parent.parent / "static"
SHELL_STATIC = (
    "app.css",
    "app.mjs",
    "vendor/nhsuk/nhsuk-frontend.min.css",
    "vendor/nhsuk/nhsuk-frontend.min.js",
    "vendor/idb/index.js",
)
SHELL_ICONS = ("icons/maskable-192.png", "icons/maskable-512.png")
SHELL_ASSETS = (
    "images/favicon.svg",
    "images/nhsuk-icon-192.png",
    "images/nhsuk-icon-512.png",
    "images/nhsuk-icon-cross.svg",
)  # the search box's clear button, offline too


def shell_files() -> list[str]:
    """Return the paths the service worker precaches: no page that holds patient data."""
    modules = sorted(path.name for path in (STATIC / "js").glob("*.mjs"))
    return [
        url_for("app_shell.offline_page"),
        *(url_for(endpoint) for endpoint in PUBLIC_PAGES),
        *(url_for("static", filename=f"js/{name}") for name in modules),
        url_for("app_shell.manifest"),
        url_for("app_shell.patient_manifest"),
        *(url_for("static", filename=name) for name in (*SHELL_STATIC, *SHELL_ICONS)),
        *(url_for("nhsuk_assets", filename=name) for name in SHELL_ASSETS),
    ]


@bp.get("/service-worker.js")
def service_worker() -> ResponseReturnValue:
    """Serve the service worker from the root, so its scope is the whole app."""
    version = current_app.config["APP_VERSION"]
    script = (
        (STATIC / "service-worker.js")
        .read_text()
        .replace("__APP_VERSION__", f"{version}-{static_files.shell_digest()}")
        .replace("__SHELL_FILES__", json.dumps(shell_files()))
    )
    leave_session_cookie()
    response = Response(script, mimetype="text/javascript")
    # The browser must ask for the worker every time, or a deploy would not reach phones.
    response.headers["Cache-Control"] = "no-cache"
    return response


# Each audience installs its own app: staff their caseload, a patient their own wellbeing, with
# a name that says so on their home screen.
MANIFESTS: dict[str, dict[str, str]] = {
    "staff": {
        "name": "Link worker",
        "short_name": "Link worker",
        "description": "Social prescribing caseload, check-ins and referrals",
        "start_url": "/",
    },
    "patient": {
        "name": "My wellbeing",
        "short_name": "My wellbeing",
        "description": "Check in on how you are doing, see your progress and get help",
        "start_url": "/my-progress",
    },
}


def _manifest(audience: str) -> ResponseReturnValue:
    leave_session_cookie()
    nhs, ours = "nhsuk_assets", "static"
    body = {
        **MANIFESTS[audience],
        "id": MANIFESTS[audience]["start_url"],
        "scope": "/",
        "display": "standalone",
        "background_color": "#f0f4f5",
        "theme_color": "#005eb8",
        "icons": [
            {"src": url_for(nhs, filename="images/nhsuk-icon-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "any"},
            {"src": url_for(nhs, filename="images/nhsuk-icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
            # Our own (tools/make_icons.py): drawn inside the safe zone a phone may crop to.
            {"src": url_for(ours, filename="icons/maskable-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "maskable"},
            {"src": url_for(ours, filename="icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }  # fmt: skip
    return Response(json.dumps(body), mimetype="application/manifest+json")


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    """Describe the staff app for "Add to home screen"."""
    return _manifest("staff")


@bp.get("/my-wellbeing.webmanifest")
def patient_manifest() -> ResponseReturnValue:
    """Describe a patient's app for "Add to home screen": named for them, not for staff."""
    return _manifest("patient")


def _empty_forms() -> dict[str, Any]:
    """Return each offline form with nothing filled in and no CSRF token (the shell is shared)."""
    meta = {"csrf": False}
    patient = PatientForm(formdata=None, meta=meta)
    del patient.link_worker_id  # offline, a new patient joins the caseload of the person adding
    return {
        "checkin": CheckInForm(formdata=None, meta=meta),
        "patient": patient,
        "followup": FollowUpForm(formdata=None, meta=meta),
        "referral": ReferralForm(formdata=None, meta=meta),
        "contact": ContactForm(formdata=None, meta=meta),
    }


def _vocabulary() -> dict[str, Any]:
    """Return the names the offline pages show for the codes records hold, and the rules they
    score and chart check-ins by (static/js/measures.mjs, progress-chart.mjs).

    In the shell rather than a route of its own: the shell is already precached for every
    person on every phone and holds no patient data, so the rules come and go with the app
    version that scores by them, and can never be missing offline.
    """
    return {
        "needs": NEEDS,
        "follow_up_kinds": FOLLOW_UP_KINDS,
        "contact_kinds": CONTACT_KINDS,
        "referral_tag_colours": REFERRAL_TAG_COLOURS,  # the timeline's (pwa/timeline.py)
        # "Mark as done" from this long before a follow-up is due (casework.DONE_EARLY).
        "done_early_hours": DONE_EARLY.total_seconds() / 3600,
        "follow_up_outcomes": FOLLOW_UP_OUTCOMES,
        "discharge_reasons": DISCHARGE_REASONS,
        "referral_statuses": REFERRAL_STATUSES,
        "asset_categories": ASSET_CATEGORIES,
        "measures": {key: measure.title for key, measure in MEASURES.items()},
        "patient_measures": {key: measure.patient_title for key, measure in MEASURES.items()},
        "measure_rules": measures_data(),
        "tracked": [tracked.for_phone() for tracked in TRACKED],
        "patient_follow_up_kinds": PATIENT_FOLLOW_UP_KINDS,
        "patient_referral_statuses": PATIENT_REFERRAL_STATUSES,
        # The JSON in the shell sorts every object's keys: lists people choose from keep their
        # order here (static/js/dom.mjs `choices`).
        "choice_order": {
            name: list(codes)
            for name, codes in (
                ("needs", NEEDS),
                ("discharge_reasons", DISCHARGE_REASONS),
                ("follow_up_outcomes", FOLLOW_UP_OUTCOMES),
                ("due_choices", DUE_CHOICES),
                ("order_choices", ORDER_CHOICES),
                ("follow_up_kinds", FOLLOW_UP_KINDS),
                ("asset_categories", ASSET_CATEGORIES),
            )
        },
        "practice_time_zone": current_app.config["PRACTICE_TIMEZONE"],
        "due_choices": DUE_CHOICES,
        # For a conflict on the phone, each field under the label the record's page uses.
        "field_labels": {kind: [list(pair) for pair in pairs] for kind, pairs in LABELS.items()},
        "patient_statuses": STATUS["patient"],
        "order_choices": ORDER_CHOICES,
    }


def _shell(session_locked: bool = False) -> ResponseReturnValue:
    # The worker precaches this as the sign-in page loads: its answer can land after the
    # sign-in's, so it must never carry a session cookie.
    leave_session_cookie()
    response = make_response(
        render_template(
            "app_shell.html",
            forms=_empty_forms(),
            measures=MEASURES,
            vocabulary=_vocabulary(),
            session_locked=session_locked,
            practice_text=practice_text,
            help_thresholds=HelpThresholds.from_config(current_app.config).as_data(),
        )
    )
    # Shared by everyone who uses this phone, so it must never depend on who is signed in.
    response.headers["Cache-Control"] = "no-cache"
    return _compressed(response)


def _compressed(response: Response) -> Response:
    """The shell compressed as the browser accepts (about 230 KB of forms and scoring rules,
    most of a first visit). Pages are never compressed, since a page holds its CSRF token beside
    what was typed (BREACH); the shell holds no token, no name and nothing typed, so it may be."""
    accepted = request.accept_encodings
    if accepted["br"]:
        body, encoding = brotli.compress(response.get_data(), quality=5), "br"
    elif accepted["gzip"]:
        body, encoding = gzip.compress(response.get_data(), compresslevel=6), "gzip"
    else:
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response


@bp.get("/offline")
def offline_page() -> ResponseReturnValue:
    """Serve the data-free app shell the service worker keeps for pages it cannot fetch."""
    return _shell()


@bp.get("/sync-status")
def sync_status() -> ResponseReturnValue:
    """Show what this phone is waiting to send, from its own store (the shell draws it)."""
    return _shell()


@bp.get("/sync-status/<uuid:record_id>/fix")
def fix_record(record_id: uuid.UUID) -> ResponseReturnValue:
    """Let a person correct a record the server refused; it exists only on their phone."""
    return _shell()


# What a locked session may still reach: signing in or out, locking, the shell's own files.
OPEN_WHEN_LOCKED = {
    "sign_in.sign_in",
    "sign_in.sign_out",
    "sign_in.lock",
    "static",
    "nhsuk_assets",
    # No patient data, and someone in distress must reach them: "Get help now" and the like.
    *PUBLIC_PAGES,
}


@bp.before_app_request
def hold_pages_of_a_locked_phone() -> ResponseReturnValue | None:
    """While the phone a session runs on is locked, its pages answer with the data-free shell.

    The phone's lock is its script's; this is the server's half, so a locked phone's page
    source, a fetch from its console, or the same page with JavaScript off shows no patient
    either. The shell's script asks for the PIN, then unlocks the session with the phone's
    device token (api.unlock_session), which only the unlocked phone can read.
    """
    if request.endpoint in OPEN_WHEN_LOCKED or request.blueprint in ("api", "app_shell", "health"):
        return None
    if not current_user.is_authenticated:
        return None
    web_session = current_web_session()
    if web_session is None or web_session.locked_at is None:
        return None
    response = make_response(_shell(session_locked=True))
    response.headers["Cache-Control"] = "no-store"
    return response
