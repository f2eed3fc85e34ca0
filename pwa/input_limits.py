"""Bound every request before any view (or extension) reads it: DESIGN.md, "Input limits".

- One size limit per route, set before anything reads the body; a body sent without a length
  (chunked) is read here whole or refused with a 413, never cut short.
- JSON nested deeper than any record needs is refused as malformed, on every route.
- Form values holding NUL are refused: no person types it, and PostgreSQL cannot store it.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, Request, abort, current_app, request
from flask import json as flask_json

# A sync body is {"changes": [{"data": {"measures": {"ons4": {"item": 1}}}}]}: five levels.
MAX_JSON_DEPTH = 8


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests objects and arrays more than `limit` deep."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


class BoundedJSON:
    """A JSON reader that finds a body malformed (a 400) when it nests too deeply."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return self.provider.dumps(obj, **kwargs)  # type: ignore[no-any-return]

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = self.provider.loads(s, **kwargs)
        except RecursionError:  # deeper than Python's own stack: certainly too deep
            raise ValueError("JSON nested too deeply") from None
        if too_deep(value):
            raise ValueError("JSON nested too deeply")
        return value


class BoundedRequest(Request):
    """A request whose JSON body is read by BoundedJSON, whatever JSON provider the app has.

    Flask gives each request the app's provider (`request.json_module = app.json`); here it is
    wrapped rather than replaced, so responses (and the test client reading them) are unbounded.
    """

    _json_reader = BoundedJSON(flask_json)

    @property  # type: ignore[override]
    def json_module(self) -> BoundedJSON:
        return self._json_reader

    @json_module.setter
    def json_module(self, provider: Any) -> None:
        self._json_reader = BoundedJSON(provider)


def limit_body() -> None:
    """Set this route's body limit before the body is read (the default is MAX_CONTENT_LENGTH).

    A sync carries up to 500 records; signing in carries a name and a password.
    """
    config = current_app.config
    limit: int = {
        "api.sync_changes": config["SYNC_MAX_BYTES"],
        "api.enrol": config["SIGN_IN_MAX_BYTES"],
        "sign_in.sign_in": config["SIGN_IN_MAX_BYTES"],
    }.get(request.endpoint or "", config["MAX_CONTENT_LENGTH"])
    request.max_content_length = limit
    if request.environ.get("wsgi.input_terminated") and request.content_length is None:
        _read_unsized_body(limit)


def _read_unsized_body(limit: int) -> None:
    """Read a body sent without a length (chunked) now, refusing it past the limit.

    Werkzeug stops reading such a body at the limit without saying so: a JSON body would then
    be malformed, and a form's last field silently cut short. Read here, the whole body is
    either within the limit or refused with a 413.
    """
    stream = request.environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        abort(413)
    request.environ["wsgi.input"] = io.BytesIO(b"".join(chunks))


def refuse_nul_bytes() -> None:
    """Refuse form values or a query holding NUL."""
    for _, values in request.values.lists():
        if any("\x00" in value for value in values):
            abort(400)


def init_app(app: Flask) -> None:
    """Install the limits. Call it before any extension whose before-request reads a body."""
    app.request_class = BoundedRequest
    app.before_request(limit_body)
    app.before_request(refuse_nul_bytes)
