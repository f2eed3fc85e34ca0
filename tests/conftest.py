"""Fixtures: an app on a real database, a cast of named users, and factories for records.

The suite runs on SQLite by default; set TEST_DATABASE_URL to a PostgreSQL URL to run it there.
"""

from __future__ import annotations

import contextvars
import gzip
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from pwa import create_app
from pwa.extensions import db
from pwa.measures import score_all
from pwa.models import AssetReferral, CheckIn, CommunityAsset, Contact, FollowUp, Patient, User
from pwa.passwords import hash_password

from .fake_push import FakePushService

PASSWORD = "correct horse battery"

# OWASP's minimum argon2id cost: still real hashing, but fast enough for hundreds of users.
FAST_HASHING = {"ARGON2_MEMORY_KIB": 19456, "ARGON2_TIME_COST": 2, "ARGON2_PARALLELISM": 1}


def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Compile the templates once per run, not once per test's app."""
    return str(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def app_config(tmp_path: Path, template_cache: str) -> dict[str, Any]:
    """Test configuration; a module can override this fixture (e.g. to switch CSRF on)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "TEMPLATE_CACHE_DIR": template_cache,
        **FAST_HASHING,
    }


@pytest.fixture
def app(
    tmp_path: Path, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv("PWA_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


# A program's word for "nothing" printed where a person expected a value.
STRAY_WORDS = re.compile(r"\b(?:null|undefined|NaN)\b")


class PageChecker(HTMLParser):
    """Read a page as a browser would and collect what a person (and axe) would trip on."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.title = ""
        self._in_title = False
        self.forms_without_method: int = 0
        self.h1_count = 0
        self._templates = 0  # a <template>'s content is not in the page until a script uses it
        self._hidden = 0  # inside <script>, <style> or a <template>: not text a person reads
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "template":
            self._templates += 1
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if found.get("id") and not self._templates:
            self.ids.append(found["id"] or "")
        if tag == "title":
            self._in_title = True
        if tag == "form" and not found.get("method"):
            self.forms_without_method += 1
        if tag == "h1":
            self.h1_count += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._templates -= 1
        if tag in ("script", "style", "template"):
            self._hidden -= 1
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden:
            self.text.append(data)


def check_page(response: TestResponse) -> None:
    """Fail on an HTML page without a title or one h1, with duplicate ids, or a method-less form."""
    if response.mimetype != "text/html" or response.status_code == 204:
        return
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding:  # the app shell, compressed as asked (pages never are)
        import brotli

        body = brotli.decompress(body) if encoding == "br" else gzip.decompress(body)
    checker = PageChecker()
    checker.feed(body.decode())
    assert checker.title.strip(), "page has no <title>"
    duplicates = {i for i in checker.ids if checker.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert checker.forms_without_method == 0, "a form has no method"
    assert checker.h1_count == 1, f"page has {checker.h1_count} h1 headings"
    stray = STRAY_WORDS.findall(" ".join(checker.text))
    assert not stray, f"page shows {stray}: a value the template or script never had"


class CheckedClient(FlaskClient):
    """A test client that runs each request as production does, and checks every HTML page.

    Flask reuses an app context that is already pushed, which would share `g` (Flask-Login's
    cached user, the CSRF token) and the database session between the test and its requests.
    Running each request in an empty contextvars.Context gives it its own, as a real request has.
    The test's own transaction is committed first: on SQLite it would otherwise hold the lock.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        if has_app_context():
            db.session.commit()
            response = contextvars.Context().run(super().open, *args, **kwargs)
        else:  # a redirect being followed, already inside the request's own context
            response = super().open(*args, **kwargs)
        check_page(response)
        return response


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    """A fake push service on 127.0.0.1 (tests/fake_push.py)."""
    service = FakePushService()
    yield service
    service.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = CheckedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


_hashes: dict[str, str] = {}


def password_hash_for(password: str) -> str:
    """Hash each test password once: a real argon2id hash, reused across users and tests."""
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


def make_user(role: str, username: str | None = None, **fields: Any) -> User:
    username = username or f"{role}-{uuid.uuid4().hex[:6]}"
    user = User(
        username=username,
        display_name=fields.pop("display_name", username.title()),
        role=role,
        password_hash=password_hash_for(fields.pop("password", PASSWORD)),
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_patient(link_worker: User, **fields: Any) -> Patient:
    values: dict[str, Any] = {
        "given_name": "Alex",
        "family_name": f"Tester{uuid.uuid4().hex[:4]}",
        "date_of_birth": date(1950, 5, 17),
        "referral_reason": "Feeling isolated",
        "needs": ["loneliness"],
        "consent_to_contact": True,
        "status": "active",
    }
    values.update(fields)
    patient = Patient(link_worker_id=link_worker.id, **values)
    db.session.add(patient)
    db.session.commit()
    return patient


SWEMWBS_ALL_3 = dict.fromkeys(
    [
        "optimistic",
        "useful",
        "relaxed",
        "dealing_with_problems",
        "thinking_clearly",
        "close_to_others",
        "own_mind",
    ],
    3,
)


def make_check_in(
    patient: Patient,
    author: User,
    measures: dict[str, Any] | None = None,
    captured_at: datetime | None = None,
) -> CheckIn:
    measures = measures or {"swemwbs": SWEMWBS_ALL_3}
    check_in = CheckIn(
        patient_id=patient.id,
        author_id=author.id,
        source="link_worker",
        captured_at=captured_at or datetime.now(UTC),
        measures=measures,
        scores=score_all(measures),
    )
    db.session.add(check_in)
    db.session.commit()
    return check_in


def make_follow_up(patient: Patient, **fields: Any) -> FollowUp:
    follow_up = FollowUp(
        patient_id=patient.id,
        assigned_to_id=patient.link_worker_id,
        due_at=fields.pop("due_at", datetime.now(UTC) + timedelta(days=1)),
        kind=fields.pop("kind", "call"),
        **fields,
    )
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


def make_contact(patient: Patient, author: User, **fields: Any) -> Contact:
    contact = Contact(
        patient_id=patient.id,
        author_id=author.id,
        kind=fields.pop("kind", "phone"),
        happened_at=fields.pop("happened_at", datetime.now(UTC) - timedelta(hours=1)),
        **fields,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def make_asset(**fields: Any) -> CommunityAsset:
    values = {
        "name": "Knit and Natter",
        "category": "social_groups",
        "description": "Crafts and tea on Tuesdays",
    }
    values.update(fields)
    asset = CommunityAsset(**values)
    db.session.add(asset)
    db.session.commit()
    return asset


def make_referral(patient: Patient, asset: CommunityAsset, by: User) -> AssetReferral:
    referral = AssetReferral(
        patient_id=patient.id, asset_id=asset.id, status="referred", created_by_id=by.id
    )
    db.session.add(referral)
    db.session.commit()
    return referral


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> TestResponse:
    return client.post("/sign-in", data={"username": user.username, "password": password})


def csrf_token_from(response: TestResponse) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


# The cast, said once: an admin, two link workers, a patient with a sign-in.
@pytest.fixture
def admin(app: Flask) -> User:
    return make_user("admin", "admin", display_name="Priya Shah")


@pytest.fixture
def worker(app: Flask) -> User:
    return make_user("link_worker", "amara", display_name="Amara Okafor")


@pytest.fixture
def other_worker(app: Flask) -> User:
    return make_user("link_worker", "ben", display_name="Ben Hughes")


@pytest.fixture
def patient_user(app: Flask) -> User:
    return make_user("patient", "pat", display_name="Patricia Walsh")


@pytest.fixture
def patient(worker: User, patient_user: User) -> Patient:
    return make_patient(worker, given_name="Patricia", family_name="Walsh", user_id=patient_user.id)


@pytest.fixture
def others_patient(other_worker: User) -> Patient:
    return make_patient(other_worker, given_name="Dev", family_name="Patel")


# --- real browser (pytest-playwright with Debian's Chromium) --------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # The narrowest phone the issue asks for.
    return {**browser_context_args, "viewport": {"width": 320, "height": 640}}


# The PIN the tests choose for the phone's sealed records (static/js/phone-lock.mjs).
TEST_PIN = "246810"


def answer_pin_prompts(page: Any, pin: str = TEST_PIN) -> None:
    """Choose a PIN, or unlock with it, whenever the phone asks, as its person would.

    Playwright runs these before any action or assertion the prompt would be in the way of.
    Tests of the lock itself use the `manual_pin` marker and answer by hand.
    """

    def choose(panel: Any) -> None:
        panel.get_by_label("Choose a PIN").fill(pin)
        panel.get_by_label("Type the PIN again").fill(pin)
        panel.get_by_role("button", name="Save PIN").click()

    def unlock(panel: Any) -> None:
        panel.get_by_label("PIN", exact=True).fill(pin)
        panel.get_by_role("button", name="Unlock").click()

    choosing = page.locator(".app-lock").filter(has=page.get_by_role("button", name="Save PIN"))
    locked = page.locator(".app-lock").filter(has=page.get_by_role("button", name="Unlock"))
    page.add_locator_handler(choosing, lambda: choose(choosing))
    page.add_locator_handler(locked, lambda: unlock(locked))


def phone_ready(page: Any) -> None:
    """Wait until the page shows its content: the phone unlocked (or chose its PIN) first."""
    from playwright.sync_api import expect

    expect(page.locator("main")).to_be_visible(timeout=15_000)


@pytest.fixture
def page(page: Any, request: pytest.FixtureRequest) -> Any:
    if request.node.get_closest_marker("manual_pin") is None:
        answer_pin_prompts(page)
    return page


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Collect what the browser reports as errors: CSP refusals, failed loads, script errors."""
    errors: list[str] = []

    def record(message: Any) -> None:
        # NHS.UK's CSS fetches its font from assets.nhs.uk, which this machine cannot reach.
        if message.type == "error" and "assets.nhs.uk" not in message.location.get("url", ""):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", record)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    from pwa.demo import seed_demo

    seed_demo()
    db.session.commit()  # release SQLite's lock before the server's threads need it
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
