"""One page for each error a person can meet, instead of a bare server response."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .api import api_error
from .extensions import db
from .sessions import leave_session_cookie

MESSAGES = {
    400: (
        "Something in that request was not right",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You do not have access to this page",
        "If you think you should, ask your practice admin.",
    ),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("That action is not allowed here", "Go back and try again from the page you were on."),
    413: ("That was too much to send at once", "Try again with less."),
    429: ("Too many attempts", "For your security, wait a few minutes before trying again."),
    500: (
        "Sorry, there is a problem with the service",
        "Nothing you entered has been saved. Try again later.",
    ),
}


# The API's names for the HTTP errors it shares with the pages (DESIGN.md's contract).
API_CODES = {400: "bad_request", 413: "payload_too_large"}


def _snake(name: str) -> str:
    """Turn an HTTP status name ("Not Found") into an error code ("not_found")."""
    return "_".join(name.lower().replace("-", " ").split())


def _anonymous_leaves_the_cookie() -> None:
    """An error page for a request that was not signed in never sets the session cookie: it
    may be answering a request sent before a sign-in that has since happened."""
    if not current_user.is_authenticated:
        leave_session_cookie()


def init_app(app: Flask) -> None:
    """Render every HTTP error with the app's error page."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        _anonymous_leaves_the_cookie()
        return render_template(
            "error.html",
            title="Your session has expired",
            message="For your security, this page timed out. Go back, reload the page and try "
            "again: nothing you entered was saved.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        _anonymous_leaves_the_cookie()
        code = error.code or 500
        if request.path.startswith("/api/"):
            name = API_CODES.get(code) or _snake(error.name)
            return api_error(name, error.description or error.name, code)
        title, message = MESSAGES.get(code, (error.name, error.description or ""))
        return render_template("error.html", title=title, message=message), code

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()  # never leave half a change behind
        _anonymous_leaves_the_cookie()
        app.logger.exception("Unhandled error")  # the traceback, never the form data
        if request.path.startswith("/api/"):
            return api_error("server_error", "Something went wrong; nothing was lost.", 500)
        title, message = MESSAGES[500]
        return render_template("error.html", title=title, message=message), 500
