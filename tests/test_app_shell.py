"""The installable shell: service worker, manifest and offline page."""

from __future__ import annotations

import json
import re
import struct

from flask import Flask
from flask.testing import FlaskClient

from pwa.measures import measures_data
from pwa.models import Patient, User
from pwa.progress import TRACKED
from pwa.static_files import url_path

from .conftest import sign_in


def test_the_service_worker_is_served_from_the_root_and_never_cached(client: FlaskClient) -> None:
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert "__APP_VERSION__" not in script and "__SHELL_FILES__" not in script


def test_its_cache_name_changes_with_the_app_version(app: Flask, client: FlaskClient) -> None:
    def version() -> str:
        script = client.get("/service-worker.js").get_data(as_text=True)
        return re.search(r'const VERSION = "([^"]+)"', script).group(1)

    before = version()
    assert before.startswith(app.config["APP_VERSION"] + "-")
    app.config["APP_VERSION"] = "99.0.0"
    assert version().startswith("99.0.0-") and version() != before


def test_it_precaches_only_pages_without_patient_data(client: FlaskClient) -> None:
    script = client.get("/service-worker.js").get_data(as_text=True)
    files = json.loads(re.search(r"const SHELL_FILES = (\[.*?\]);", script).group(1))
    static = url_path()
    assert "/offline" in files and f"{static}/app.mjs" in files
    # What scores and charts a check-in offline is there before the first loss of signal.
    assert {f"{static}/js/measures.mjs", f"{static}/js/progress-chart.mjs"} <= set(files)
    assert not [f for f in files if f.startswith(("/patients", "/caseload", "/api", "/admin"))]
    for path in files:  # every one of them exists, or the worker would fail to install
        assert client.get(path).status_code == 200, path


def test_the_manifest_lets_the_app_be_installed(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    maskable = [icon for icon in manifest["icons"] if icon.get("purpose") == "maskable"]
    assert {icon["sizes"] for icon in maskable} == {"192x192", "512x512"}
    for icon in maskable:  # a real PNG of the size it says
        png = client.get(icon["src"]).data
        width, height = struct.unpack(">II", png[16:24])
        assert png.startswith(b"\x89PNG") and f"{width}x{height}" == icon["sizes"]


def test_a_patient_installs_an_app_named_for_them(
    client: FlaskClient, patient: Patient, patient_user: User, worker: User
) -> None:
    sign_in(client, patient_user)
    page = client.get("/my-progress").get_data(as_text=True)
    assert 'rel="manifest" href="/my-wellbeing.webmanifest"' in page
    mine = client.get("/my-wellbeing.webmanifest").json
    assert mine["name"] == "My wellbeing" and mine["start_url"] == "/my-progress"
    assert "caseload" not in json.dumps(mine).lower()
    client.post("/sign-out")
    sign_in(client, worker)
    assert 'rel="manifest" href="/manifest.webmanifest"' in client.get("/caseload").get_data(
        as_text=True
    )


def test_the_offline_page_carries_no_personal_detail(client: FlaskClient, worker: User) -> None:
    sign_in(client, worker)
    page = client.get("/offline").get_data(as_text=True)
    assert "<h1>No connection</h1>" in page
    assert "Amara" not in page and "csrf_token" not in page
    # Shared by every offline form: an id baked in here would be every check-in's id.
    assert 'name="record_id"' not in page
    assert page.count('id="form-checkin"') == 1 and 'name="ucla3__isolated"' in page


def test_the_offline_pages_get_the_scoring_rules_and_the_patients_words_with_the_shell(
    client: FlaskClient,
) -> None:
    page = client.get("/offline").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="app-vocabulary">(.*?)</script>', page)
    vocabulary = json.loads(found.group(1))
    assert vocabulary["measure_rules"] == json.loads(json.dumps(measures_data()))
    assert [t["label"] for t in vocabulary["tracked"]] == [t.patient_label for t in TRACKED]
    assert vocabulary["tracked"][-1] == {
        "key": "ucla3.total",
        "label": "How lonely you feel",
        "scale": "3 to 9, lower is better",
        "measure": "ucla3",
        "field": "total",
        "low": 3,
        "high": 9,
        "higher_is_better": False,
    }
