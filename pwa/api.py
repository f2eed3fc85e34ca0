"""The JSON API phones sync through (`/api/v1`): device enrolment and sync, per DESIGN.md."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from .audit import audit
from .devices import TokenProblem, device_for_token, enrol_device, revoke_device
from .extensions import csrf, db, limiter, username_key
from .models import User
from .openapi import openapi_document
from .passwords import user_with_password
from .push import public_key, read_subscription, remove_subscription, save_subscription
from .sync import MAX_CHANGES, BadCursor, Position, sync

P = ParamSpec("P")
R = TypeVar("R")

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API authenticates with Bearer tokens, which a browser never attaches by itself, so
# cross-site request forgery cannot reach it; an outbox replayed hours later has no CSRF token.
csrf.exempt(bp)


def api_error(
    code: str, message: str, status: int, fields: dict[str, list[str]] | None = None
) -> ResponseReturnValue:
    """Return the one error shape of the API."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), status


def json_object() -> dict[str, Any] | None:
    """Return the request's JSON body if it is an object, else None."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def device_required(view: Callable[P, R]) -> Callable[P, R]:
    """Let through only requests with a working device token; the device is in g.device."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = device_for_token(token.strip() if scheme.lower() == "bearer" else None)
        if isinstance(found, TokenProblem):
            return api_error(found.code, found.message, found.status)  # type: ignore[return-value]
        g.device = found
        return view(*args, **kwargs)

    return wrapped


def _failed_enrolment(response: Any) -> bool:
    return getattr(response, "status_code", 200) == 401


@bp.post("/devices")
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMITS"],
    key_func=username_key,
    deduct_when=_failed_enrolment,
    scope="sign-in-user",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_ADDRESS_LIMITS"],
    deduct_when=_failed_enrolment,
    scope="sign-in-address",
)
def enrol() -> ResponseReturnValue:
    """Enrol this device with a username and password, or from a signed-in page."""
    body = json_object()
    if body is None:
        return api_error("invalid_json", "The request body must be a JSON object.", 400)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        return api_error(
            "invalid_request",
            "Name this device.",
            422,
            {"name": ["Give the device a name of up to 120 characters."]},
        )
    user = _user_from_password(body) if "username" in body else _user_from_session()
    if not isinstance(user, User):
        return user
    device, token = enrol_device(user, name.strip())
    audit("device.enrol", record_type="device", record_id=str(device.id), user_id=user.id)
    db.session.commit()
    return jsonify(
        device_id=str(device.id),
        token=token,
        user={"id": str(user.id), "role": user.role, "display_name": user.display_name},
    ), 201


def _user_from_password(body: dict[str, Any]) -> User | ResponseReturnValue:
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return api_error(
            "invalid_request",
            "Give a username and password.",
            422,
            {"username": ["Required."], "password": ["Required."]},
        )
    user = user_with_password(username, password)
    if user is None or not user.active:
        return api_error("invalid_credentials", "The username or password is not right.", 401)
    return user


def _user_from_session() -> User | ResponseReturnValue:
    if not current_user.is_authenticated:
        return api_error("invalid_credentials", "Sign in first.", 401)
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except (ValidationError, CSRFError):
        return api_error("csrf_failed", "Reload the page and try again.", 403)
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.delete("/devices/current")
@device_required
def sign_out_device() -> ResponseReturnValue:
    """Sign this device out: its token stops working."""
    revoke_device(g.device)
    audit(
        "device.revoke", record_type="device", record_id=str(g.device.id), user_id=g.device.user_id
    )
    db.session.commit()
    return "", 204


@bp.post("/sync")
@device_required
def sync_changes() -> ResponseReturnValue:
    """Apply the phone's changes, then send what changed in its scope since its cursor."""
    limit = current_app.config["SYNC_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return api_error("payload_too_large", f"Send at most {limit} bytes at a time.", 413)
    request.max_content_length = limit  # also bounds a body sent without a length
    body = json_object()
    if body is None:
        return api_error("invalid_json", "The request body must be a JSON object.", 400)
    changes = body.get("changes", [])
    if not isinstance(changes, list):
        return api_error(
            "invalid_request",
            "changes must be a list.",
            422,
            {"changes": ["Must be a list of changes."]},
        )
    if len(changes) > MAX_CHANGES:
        return api_error("too_many_changes", f"Send at most {MAX_CHANGES} changes at a time.", 413)
    cursor = body.get("cursor")
    try:
        position = Position.decode(cursor if isinstance(cursor, str) or cursor is None else "!")
    except BadCursor:
        return api_error(
            "invalid_cursor",
            "Start again with a null cursor.",
            422,
            {"cursor": ["Not a cursor this server gave out."]},
        )
    user = g.device.user
    return jsonify(sync(user, g.device, changes, position, current_app.config["SYNC_PAGE_SIZE"]))


@bp.get("/push/key")
def push_key() -> ResponseReturnValue:
    """Give the VAPID public key browsers subscribe with (applicationServerKey)."""
    return jsonify(public_key=public_key())


@bp.post("/push/subscriptions")
@device_required
def subscribe() -> ResponseReturnValue:
    """Keep this device's push subscription (the body is PushSubscription.toJSON())."""
    body = json_object()
    if body is None:
        return api_error("invalid_json", "Send the subscription as a JSON object.", 400)
    values, errors = read_subscription(body)
    if values is None:
        return api_error("validation_failed", "This is not a usable push subscription.", 422,
                         errors)  # fmt: skip
    save_subscription(g.device, values)
    db.session.commit()
    return jsonify(status="subscribed"), 201


@bp.delete("/push/subscriptions")
@device_required
def unsubscribe() -> ResponseReturnValue:
    """Forget this device's push subscription to an endpoint."""
    body = json_object()
    if body is None or not isinstance(body.get("endpoint"), str):
        return api_error("validation_failed", "Send the endpoint to forget.", 422,
                         {"endpoint": ["Required."]})  # fmt: skip
    remove_subscription(g.device, body["endpoint"])
    db.session.commit()
    return "", 204


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe this API as OpenAPI 3.1."""
    return jsonify(openapi_document(current_app.config["APP_VERSION"]))
