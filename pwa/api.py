"""The JSON API phones sync through (`/api/v1`): device enrolment and sync, per DESIGN.md."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from pydantic import BaseModel, ValidationError
from wtforms.validators import ValidationError as CSRFTokenError

from .accounts import SignInRefused, sign_in_with_password
from .audit import audit
from .database import reading
from .devices import DeviceSignedOut, TokenProblem, device_for_token, end_devices, enrol_device
from .extensions import csrf, db
from .models import Device, User, utcnow
from .openapi import openapi_document
from .phone_keys import PhoneKeyRevoked, key_answer, key_for_enrolment
from .push import public_key, read_subscription, remove_subscription, save_subscription
from .sessions import current_web_session
from .sync import MAX_CHANGES, BadCursor, Position, sync
from .sync.restore import compare_with_server, history
from .sync.shapes import (
    EnrolRequest,
    ForgetSubscription,
    HeldRequest,
    PushSubscriptionBody,
    SyncRequest,
    field_errors,
)
from .throttle import remember_browser

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


M = TypeVar("M", bound=BaseModel)


class BadBody(Exception):
    """The request body is not what the route takes; `response` says so in the API's shape."""

    def __init__(self, response: ResponseReturnValue) -> None:
        super().__init__()
        self.response = response


def read_body(shape: type[M], message: str, code: str = "invalid_request") -> M:
    """Return the request's JSON body read into its shape (pwa/sync/shapes.py), or raise BadBody.

    Not JSON, or not an object: 400. The wrong fields: 422, each field with its reason.
    """
    body = request.get_json(silent=True)  # the app's JSON reader bounds the nesting depth
    if not isinstance(body, dict):
        raise BadBody(api_error("invalid_json", "The request body must be a JSON object.", 400))
    try:
        return shape.model_validate(body)
    except ValidationError as problem:
        raise BadBody(api_error(code, message, 422, field_errors(problem))) from None


@bp.errorhandler(BadBody)
def bad_body(error: BadBody) -> ResponseReturnValue:
    return error.response


def device_required(view: Callable[P, R]) -> Callable[P, R]:
    """Let through only requests with a working device token; the device is in g.device."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = device_for_token(token.strip() if scheme.lower() == "bearer" else None)
        if isinstance(found, TokenProblem):
            return _refused_token(found)  # type: ignore[return-value]
        g.device = found
        try:
            return view(*args, **kwargs)
        except DeviceSignedOut as late:  # signed out while this request was under way
            db.session.rollback()
            return _refused_token(late.problem)  # type: ignore[return-value]

    return wrapped


def _refused_token(problem: TokenProblem) -> Response:
    response = make_response(api_error(problem.code, problem.message, problem.status))
    if problem.code == "device_revoked":  # the browser wipes the site, not just the app
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.post("/devices")
def enrol() -> ResponseReturnValue:
    """Enrol this device with a username and password, or from a signed-in page."""
    body = read_body(EnrolRequest, "Name this device, and sign in.")
    by_password = body.username is not None
    user = _user_from_password(body) if by_password else _user_from_session()
    if not isinstance(user, User):
        return user
    if user.must_change_password:
        # A temporary password is for choosing one's own on the pages (views/account.py); a
        # phone's token made with it would outlive it by weeks. (The right password's try is
        # given back, as for any sign-in that succeeds: this commits that.)
        audit("device.enrol_refused", record_type="user", record_id=str(user.id), user_id=user.id)
        db.session.commit()
        return api_error(
            "password_change_required",
            "Your password is a temporary one. Sign in on the sign-in page and choose your "
            "own password first.",
            403,
        )
    web_session = None if by_password else current_web_session()
    device, token = enrol_device(user, body.name, web_session.id if web_session else None)
    try:
        key = key_for_enrolment(user, device, body.phone_key_id, by_password=by_password)
    except PhoneKeyRevoked:
        db.session.rollback()
        audit("device.key_refused", user_id=user.id)
        db.session.commit()
        response = make_response(
            api_error(
                "device_revoked", "This phone has been signed out. Its data will be removed.", 403
            )
        )
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    audit("device.enrol", record_type="device", record_id=str(device.id), user_id=user.id)
    db.session.commit()
    response = jsonify(
        device_id=str(device.id),
        token=token,
        user={"id": str(user.id), "role": user.role, "display_name": user.display_name},
        phone_key=key_answer(key),
    )
    if by_password:
        remember_browser(response, body.username or "", user.password_hash)
    return response, 201


def _user_from_password(body: EnrolRequest) -> User | ResponseReturnValue:
    if body.username is None or body.password is None:
        return api_error(
            "invalid_request",
            "Give a username and password.",
            422,
            {"username": ["Required."], "password": ["Required."]},
        )
    outcome = sign_in_with_password(body.username, body.password)
    if isinstance(outcome, SignInRefused):
        if outcome.retry_after is not None:
            response = make_response(api_error(outcome.code, outcome.message, 429))
            response.headers["Retry-After"] = str(outcome.retry_after)
            return response
        # A deactivated account is told apart only to whoever knows its password.
        return api_error(outcome.code, outcome.message, 401)
    return outcome


def _user_from_session() -> User | ResponseReturnValue:
    if not current_user.is_authenticated:
        return api_error("invalid_credentials", "Sign in first.", 401)
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except (CSRFTokenError, CSRFError):
        return api_error("csrf_failed", "Reload the page and try again.", 403)
    web_session = current_web_session()
    fresh = timedelta(minutes=current_app.config["ENROL_AFTER_SIGN_IN_MINUTES"])
    if web_session is None or utcnow() - web_session.created_at > fresh:
        # A phone's token outlives the page's session by weeks: only a recent sign-in (not a
        # session cookie that may have been copied hours ago) can mint one.
        return api_error(
            "sign_in_again",
            # /sign-in?again=1 signs in afresh without signing out (which wipes the phone).
            "Sign in again to keep records on this phone.",
            401,
        )
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.post("/session/unlock")
@device_required
def unlock_session() -> ResponseReturnValue:
    """Unlock this browser's page session: its phone has been opened with the PIN.

    Only the unlocked phone can read its device token (it is sealed), so the token is the
    proof. The session must be the token's person's own; anything else changes nothing.
    """
    web_session = current_web_session() if current_user.is_authenticated else None
    unlocked = False
    if web_session is not None and web_session.user_id == g.device.user_id:
        if web_session.locked_at is not None:
            web_session.locked_at = None
            audit("session.unlock", user_id=g.device.user_id, device_id=g.device.id)
            db.session.commit()
        unlocked = True
    return jsonify(unlocked=unlocked)


@bp.delete("/devices/current")
@device_required
def sign_out_device() -> ResponseReturnValue:
    """Sign this device out: its token stops working."""
    end_devices(Device.id == g.device.id, "signed_out")
    audit("device.sign_out", record_type="device", record_id=str(g.device.id),
          user_id=g.device.user_id)  # fmt: skip
    db.session.commit()
    return "", 204


@bp.post("/sync")
@device_required
def sync_changes() -> ResponseReturnValue:
    """Apply the phone's changes, then send what changed in its scope since its cursor.

    The body's size was bounded before it was read (pwa/input_limits.py).
    """
    body = read_body(SyncRequest, "Send {cursor, changes}, changes a list.")
    if len(body.changes) > MAX_CHANGES:
        return api_error("too_many_changes", f"Send at most {MAX_CHANGES} changes at a time.", 413)
    try:
        position, epoch = Position.read(body.cursor)
    except BadCursor:
        # The phone starts again from a null cursor: it then receives everything once more.
        return api_error("invalid_cursor", "Start again with a null cursor.", 400,
                         {"cursor": ["Not a cursor this server gave out."]})  # fmt: skip
    with reading():
        here = history()
    if here.went_back(position, epoch):
        # Nothing is applied: the phone first sends back what this server lacks (/sync/held).
        return api_error(
            "server_restored",
            "The server was restored from a backup. Send "
            "what this phone holds that it lacks, then pull from the start.",
            409,
        )
    user = g.device.user
    return jsonify(sync(user, g.device, body.changes, position,
                        current_app.config["SYNC_PAGE_SIZE"], here.epoch))  # fmt: skip


@bp.post("/sync/held")
@device_required
def held_records() -> ResponseReturnValue:
    """Say which of the records this phone holds the server lacks, or has in an older version
    (after a restore; pwa/sync/restore.py)."""
    body = read_body(HeldRequest, "Send {records: [{id, type, version}]}, at most 500.")
    held = [(record.type, record.id, record.version) for record in body.records]
    comparison = compare_with_server(g.device.user, held)
    return jsonify(missing=comparison.missing, behind=comparison.behind)


@bp.get("/push/key")
def push_key() -> ResponseReturnValue:
    """Give the VAPID public key browsers subscribe with (applicationServerKey)."""
    return jsonify(public_key=public_key())


@bp.post("/push/subscriptions")
@device_required
def subscribe() -> ResponseReturnValue:
    """Keep this device's push subscription (the body is PushSubscription.toJSON())."""
    body = read_body(
        PushSubscriptionBody, "This is not a usable push subscription.", "validation_failed"
    )
    values, errors = read_subscription(body.model_dump())
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
    body = read_body(ForgetSubscription, "Send the endpoint to forget.", "validation_failed")
    remove_subscription(g.device, body.endpoint)
    db.session.commit()
    return "", 204


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe this API as OpenAPI 3.1."""
    return jsonify(openapi_document(current_app.config["APP_VERSION"]))
