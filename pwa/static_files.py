"""The app's static files: served under a name that changes with their content, cached for a
year, and compressed (Brotli or gzip) by WhiteNoise when the deployment has compressed them.

Every static address is /static/<digest>/<file>, where the digest fingerprints the whole static
tree. A new release therefore has new addresses for everything, so browsers may keep each file
for a year (`immutable`) and the service worker's cache, named by the same digest, follows the
same versions. The app's scripts import each other by relative paths, so they stay within one
version. WhiteNoise (a well-kept library made for serving static files from a WSGI app) serves
them before Flask sees the request, with the precompressed copy the browser accepts:
`make static` (`python -m whitenoise.compress`) writes those beside the files at deploy time.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
YEAR = 365 * 24 * 3600
# Copies a deployment writes beside each file; not part of the content.
COMPRESSED = (".br", ".gz")


def _fingerprint(*trees: Path) -> str:
    found = hashlib.sha256()
    for tree in trees:
        for path in sorted(tree.rglob("*")):
            if path.is_file() and path.suffix not in COMPRESSED and "__pycache__" not in path.parts:
                found.update(path.relative_to(tree).as_posix().encode())
                found.update(path.read_bytes())
    return found.hexdigest()[:12]


@cache
def digest() -> str:
    """Fingerprint the static tree: any change to any file gives every address a new name."""
    return _fingerprint(STATIC)


@cache
def shell_digest() -> str:
    """Fingerprint what the service worker keeps: the static files and the templates the app
    shell is drawn from (a new offline form is a new shell), for its cache's name."""
    return _fingerprint(STATIC, TEMPLATES)


def url_path() -> str:
    """The address the static files live under for this content: /static/<digest>."""
    return f"/static/{digest()}"


def serve(app: Flask) -> None:
    """Put WhiteNoise in front of the app for the versioned static addresses.

    Cached for a year and immutable, except under the debugger (`make run` edits files in
    place without a restart, so nothing may be kept). Each file says nosniff, as every page does.
    """
    cached = not app.debug

    def add_headers(headers: object, path: str, url: str) -> None:
        headers["X-Content-Type-Options"] = "nosniff"  # type: ignore[index]
        # A static file needs nothing from anywhere (an SVG opened alone runs no script).
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'"  # type: ignore[index]

    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=STATIC,
        prefix=url_path().lstrip("/") + "/",
        max_age=YEAR if cached else 0,
        immutable_file_test=(lambda path, url: cached),
        add_headers_function=add_headers,
        mimetypes={".mjs": "text/javascript"},
        autorefresh=app.debug,
    )
