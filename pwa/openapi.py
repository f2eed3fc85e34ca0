"""The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.

Every request body's schema is generated from the pydantic model the server reads that body
with (`pwa/sync/shapes.py`), so the document and the checks cannot drift apart. The responses,
which the server writes itself, are described here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .sync.shapes import (
    DATA_SHAPES,
    Change,
    EnrolRequest,
    ForgetSubscription,
    HeldRequest,
    PushSubscriptionBody,
    SyncRequest,
)

REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    *DATA_SHAPES.values(), Change, SyncRequest, HeldRequest, EnrolRequest, PushSubscriptionBody,
    ForgetSubscription,
)  # fmt: skip
UUID = {"type": "string", "format": "uuid"}
FIELD_ERRORS = {"type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}}}  # fmt: skip

RESPONSE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "snake_case, for programs"},
                "message": {"type": "string", "description": "for a person"},
                "fields": {**FIELD_ERRORS, "description": "what is wrong with each field"},
            },
        }},
    },
    "Result": {
        "type": "object",
        "required": ["id", "status", "version", "errors"],
        "properties": {
            "id": {"type": ["string", "null"], "description": "the change's id, as sent"},
            "status": {"enum": ["applied", "duplicate", "conflict", "rejected"]},
            "version": {"type": ["integer", "null"]},
            "errors": FIELD_ERRORS,
            "code": {"type": "string", "description": "why, for conflict and rejected: "
                     "content_differs, stale_version, out_of_scope, unknown_patient, forbidden, "
                     "patient_discharged, validation_failed, invalid_change, invalid_id, "
                     "unknown_type, invalid_base_version, unknown_record"},
        },
    },
    "FeedEntry": {
        "type": "object",
        "required": ["id", "type", "deleted"],
        "properties": {
            "id": UUID,
            "type": {"enum": ["patient", "checkin", "followup", "referral", "contact", "asset"]},
            "version": {"type": "integer"},
            "deleted": {"type": "boolean"},
            "data": {"type": "object", "description": "the record as this caller's audience "
                     "sees it: staff get the fields the request shapes name; a patient's phone "
                     "gets only what the patient's own pages show"},
        },
    },
    "SyncResponse": {
        "type": "object",
        "required": ["results", "changes", "cursor", "more"],
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}},
            "changes": {"type": "array", "items": {"$ref": "#/components/schemas/FeedEntry"}},
            "cursor": {"type": "string"},
            "more": {"type": "boolean"},
        },
    },
    "Enrolment": {
        "type": "object",
        "required": ["device_id", "token", "user", "phone_key"],
        "properties": {
            "device_id": UUID,
            "token": {"type": "string"},
            # The key that opens the records sealed on this phone (docs/phone-data.md): the
            # same one again when the request names it by phone_key_id and gives the password.
            "phone_key": {"type": "object", "required": ["id", "key"],
                          "properties": {"id": {"type": "string"},
                                         "key": {"type": "string",
                                                 "description": "256 bits, base64url"}}},
            "user": {"type": "object", "required": ["id", "role", "display_name"],
                     "properties": {"id": {"type": "string"}, "role": {"type": "string"},
                                    "display_name": {"type": "string"}}},
        },
    },
}  # fmt: skip

BEARER: list[dict[str, list[str]]] = [{"device": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _body(model: type) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model.__name__)}}}


# Every route reads its body with the same limits (pwa/input_limits.py) and JSON reader.
COMMON = {"400": _error("Not a JSON object, or nested too deep"),
          "413": _error("The body is over this route's size limit")}  # fmt: skip
TOKEN = {"401": _error("invalid_token or token_expired: sign in again, keep all"),
         "403": _error("device_revoked: wipe local data")}  # fmt: skip


@cache
def _request_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "validation") for model in REQUEST_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    return dict(top["$defs"])


def openapi_document(version: str) -> dict[str, Any]:
    """Return the API description for this version of the app."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Link worker sync API", "version": version,
                 "description": "Offline-first sync for social prescribing link workers."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": {**_request_schemas(), **RESPONSE_SCHEMAS},
            "securitySchemes": {"device": {"type": "http", "scheme": "bearer",
                                           "description": "the token from POST /devices"}},
        },
        "paths": {
            "/devices": {"post": {
                "summary": "Enrol this device (credentials, or a signed-in page's session)",
                "requestBody": _body(EnrolRequest),
                "responses": {
                    "201": _json(_ref("Enrolment"), "Enrolled; the token is shown only now"),
                    **COMMON,
                    "401": _error("Wrong credentials, or a sign-in too long ago (sign_in_again)"),
                    "403": _error("Missing or wrong X-CSRFToken for a page session; "
                                  "device_revoked: phone_key_id names a revoked phone's key; "
                                  "or password_change_required: the password is a temporary "
                                  "one, to be replaced on the pages first"),
                    "422": _error("Missing or malformed fields"),
                    "429": _error("Too many failed attempts"),
                },
            }},
            "/devices/current": {"delete": {
                "summary": "Sign this device out", "security": BEARER,
                "responses": {"204": {"description": "Signed out"}, **TOKEN},
            }},
            "/sync": {"post": {
                "summary": "Send changes, receive what changed since the cursor",
                "description": "Each change is judged on its own: a bad one is `rejected` in "
                               "its result and never stops the others.",
                "security": BEARER,
                "requestBody": _body(SyncRequest),
                "responses": {
                    "200": _json(_ref("SyncResponse"), "Results per change, and a page of the "
                                 "feed"),
                    **COMMON, **TOKEN,
                    "400": _error("Malformed JSON, or invalid_cursor: start again from null"),
                    "409": _error("server_restored: the server was restored from a backup; "
                                  "ask /sync/held what it lacks, send that, pull from null"),
                    "413": _error("Over 500 changes (too_many_changes) or 2 MiB"),
                    "422": _error("changes is not a list, or cursor not a string"),
                },
            }},
            "/sync/held": {"post": {
                "summary": "Which of the records this phone holds the server lacks",
                "description": "After server_restored: the phone sends `missing` back as new "
                               "records and `behind` as changes on the server's version.",
                "security": BEARER,
                "requestBody": _body(HeldRequest),
                "responses": {
                    "200": _json({"type": "object", "required": ["missing", "behind"],
                                  "properties": {
                        "missing": {"type": "array", "items": {"type": "string",
                                                                "format": "uuid"}},
                        "behind": {"type": "array", "items": {
                            "type": "object", "required": ["id", "version"],
                            "properties": {"id": {"type": "string", "format": "uuid"},
                                           "version": {"type": "integer"}}}}}},
                                 "Ids the server lacks; records it has in an older version"),
                    **COMMON, **TOKEN,
                    "422": _error("records is not a list of {id, type}, or over 500"),
                },
            }},
            "/push/key": {"get": {
                "summary": "The VAPID public key to subscribe with",
                "responses": {"200": _json({"type": "object", "required": ["public_key"],
                                            "properties": {"public_key": {"type": "string"}}},
                                           "base64url of the 65-byte uncompressed point")},
            }},
            "/push/subscriptions": {
                "post": {
                    "summary": "Keep this device's push subscription", "security": BEARER,
                    "requestBody": _body(PushSubscriptionBody),
                    "responses": {
                        "201": _json({"type": "object"}, "Subscribed"),
                        **COMMON, **TOKEN,
                        "422": _error("Not a usable subscription"),
                    },
                },
                "delete": {
                    "summary": "Forget this device's subscription", "security": BEARER,
                    "requestBody": _body(ForgetSubscription),
                    "responses": {"204": {"description": "Forgotten"}, **COMMON, **TOKEN,
                                  "422": _error("No endpoint given")},
                },
            },
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }  # fmt: skip
