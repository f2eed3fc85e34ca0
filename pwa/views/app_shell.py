"""Serve what makes the site an installable app: the service worker, its manifest, offline page."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint("app_shell", __name__)

STATIC = Path(__file__).parent.parent / "static"
SHELL_STATIC = (
    "app.css",
    "app.mjs",
    "vendor/nhsuk/nhsuk-frontend.min.css",
    "vendor/nhsuk/nhsuk-frontend.min.js",
)
SHELL_ASSETS = ("images/favicon.svg", "images/nhsuk-icon-192.png", "images/nhsuk-icon-512.png")


def shell_files() -> list[str]:
    """Return the paths the service worker precaches: no page that holds patient data."""
    return [
        url_for("app_shell.offline_page"),
        url_for("app_shell.manifest"),
        *(url_for("static", filename=name) for name in SHELL_STATIC),
        *(url_for("nhsuk_assets", filename=name) for name in SHELL_ASSETS),
    ]


@cache
def _content_digest(app_version: str) -> str:
    """Fingerprint the shell's files, so any change to them installs a new worker and cache."""
    digest = hashlib.sha256(app_version.encode())
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/service-worker.js")
def service_worker() -> ResponseReturnValue:
    """Serve the service worker from the root, so its scope is the whole app."""
    version = current_app.config["APP_VERSION"]
    script = (
        (STATIC / "service-worker.js")
        .read_text()
        .replace("__APP_VERSION__", f"{version}-{_content_digest(version)}")
        .replace("__SHELL_FILES__", json.dumps(shell_files()))
    )
    response = Response(script, mimetype="text/javascript")
    # The browser must ask for the worker every time, or a deploy would not reach phones.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    """Describe the app for "Add to home screen"."""
    icon = "nhsuk_assets"
    body = {
        "name": "Link worker",
        "short_name": "Link worker",
        "description": "Social prescribing caseload, check-ins and referrals",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f0f4f5",
        "theme_color": "#005eb8",
        "icons": [
            {"src": url_for(icon, filename="images/nhsuk-icon-192.png"), "sizes": "192x192",
             "type": "image/png"},
            {"src": url_for(icon, filename="images/nhsuk-icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
        ],
    }  # fmt: skip
    return Response(json.dumps(body), mimetype="application/manifest+json")


@bp.get("/offline")
def offline_page() -> ResponseReturnValue:
    """Say, without any patient data, that the page needs a connection and nothing is lost."""
    return render_template("offline.html")
