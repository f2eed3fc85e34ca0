"""Offline-first PWA for social prescribing link workers."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from flask.typing import ResponseReturnValue
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
)
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    models,  # noqa: F401 - register the tables with the metadata
    static_files,
)
from .config import configure
from .database import configure_database
from .extensions import compress, csrf, db, login_manager, migrate
from .sessions import CookieSessions

try:
    __version__ = version("link-worker-pwa")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"

PACKAGE_DIR = Path(__file__).parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the app."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("PWA_INSTANCE_PATH") or None,
        instance_relative_config=True,
        static_url_path=static_files.url_path(),  # versioned by content (pwa/static_files.py)
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure(app, test_config)
    app.config["APP_VERSION"] = __version__

    # nhsuk-frontend-jinja's macros need ChainableUndefined; our templates come first.
    app.jinja_options = {
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [FileSystemLoader(PACKAGE_DIR / "templates"), PackageLoader("nhsuk_frontend_jinja")]
        ),
        "autoescape": True,
        "extensions": ["jinja2.ext.do"],
    }
    if app.config.get("TEMPLATE_CACHE_DIR"):
        # Compiled templates on disk, shared by processes (and by the many apps tests create).
        app.jinja_options["bytecode_cache"] = FileSystemBytecodeCache(
            app.config["TEMPLATE_CACHE_DIR"]
        )

    from . import cli, errors, filters, input_limits, security, throttle
    from .views import register_views

    static_files.serve(app)  # before ProxyFix: static files need no client address
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.session_interface = CookieSessions()
    db.init_app(app)
    configure_database(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True)
    # Before-request order matters: the security headers' nonce first (so even a refusal's
    # page can run its script), then the body limits, before CSRF reads a body.
    security.init_app(app)
    input_limits.init_app(app)
    csrf.init_app(app)
    throttle.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    cli.init_app(app)
    register_views(app)
    compress.init_app(app)

    @app.get("/assets/<path:filename>")
    def nhsuk_assets(filename: str) -> ResponseReturnValue:
        """Serve NHS.UK frontend's images where its CSS expects them."""
        return send_from_directory(PACKAGE_DIR / "static" / "vendor" / "nhsuk" / "assets", filename)

    return app
