"""The app factory, configuration layers, health check and error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pwa import create_app

from .conftest import database_url


def test_healthz_answers_when_the_database_does(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_says_unavailable_when_the_database_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PWA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", "TESTING": 1}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}


def test_the_secret_key_is_generated_once_into_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "elsewhere"
    monkeypatch.setenv("PWA_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": database_url(tmp_path)})
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url(tmp_path)})
    key_file = instance / "secret_key"
    assert first.instance_path == str(instance)
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_config_layers_instance_file_then_environment_then_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "PRACTICE_TIMEZONE = 'Europe/Dublin'\nSIGN_IN_LIMITS = '9 per minute'\n"
        "SESSION_COOKIE_NAME = 'from_file'\n"
    )
    monkeypatch.setenv("PWA_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("FLASK_SIGN_IN_LIMITS", "7 per minute")
    monkeypatch.setenv("FLASK_SESSION_COOKIE_NAME", "from_env")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.invalid/pwa")
    app = create_app({"SESSION_COOKIE_NAME": "from_test"})
    assert app.config["PRACTICE_TIMEZONE"] == "Europe/Dublin"  # file over default
    assert app.config["SIGN_IN_LIMITS"] == "7 per minute"  # environment over file
    assert app.config["SESSION_COOKIE_NAME"] == "from_test"  # test over environment
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.invalid/pwa"


def test_an_unknown_page_gets_a_page_a_person_can_read(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_friendly_500_and_rolls_back(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Nothing you entered has been saved" in response.get_data(as_text=True)


def test_the_home_page_sends_strangers_to_sign_in(client: FlaskClient) -> None:
    assert client.get("/").location == "/sign-in"


def test_pages_carry_security_headers_and_a_nonce_for_the_inline_script(
    client: FlaskClient,
) -> None:
    response = client.get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
