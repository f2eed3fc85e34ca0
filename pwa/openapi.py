"""The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`."""

from __future__ import annotations

from typing import Any

from .models import FOLLOW_UP_KINDS, NEEDS, PATIENT_STATUSES, REFERRAL_STATUSES

UUID = {"type": "string", "format": "uuid"}
MOMENT = {"type": "string", "format": "date-time", "description": "ISO 8601 with a UTC offset"}
NULLABLE_TEXT = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}  # fmt: skip


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "snake_case, for programs"},
                "message": {"type": "string", "description": "for a person"},
                "fields": {"type": "object",
                           "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
        }},
    },
    "PatientData": {
        "type": "object",
        "required": ["given_name", "family_name"],
        "properties": {
            "given_name": {"type": "string", "maxLength": 100},
            "family_name": {"type": "string", "maxLength": 100},
            "date_of_birth": {"type": ["string", "null"], "format": "date"},
            "nhs_number": {**NULLABLE_TEXT, "description": "10 digits, modulus 11 checked"},
            "phone": NULLABLE_TEXT,
            "postcode": NULLABLE_TEXT,
            "link_worker_id": {**UUID, "description": "defaults to the caller"},
            "status": {"enum": list(PATIENT_STATUSES)},
            "needs": {"type": "array", "items": {"enum": list(NEEDS)}},
            "referral_reason": {"type": "string"},
            "consent_to_contact": {"type": "boolean"},
        },
    },
    "CheckInData": {
        "type": "object",
        "required": ["patient_id", "captured_at", "measures"],
        "properties": {
            "patient_id": UUID,
            "captured_at": MOMENT,
            "source": {"enum": ["link_worker", "self"], "description": "set by the server"},
            "measures": {"type": "object", "description": "ons4, swemwbs and/or ucla3 answers",
                         "additionalProperties": {"type": "object",
                                                  "additionalProperties": {"type": "integer"}}},
            "scores": {"type": "object", "description": "filled in by the server; ignored"},
            "needs": {"type": "array", "items": {"enum": list(NEEDS)}},
            "notes": {"type": "string"},
            "amends": {"type": ["string", "null"], "format": "uuid"},
        },
    },
    "FollowUpData": {
        "type": "object",
        "required": ["patient_id", "due_at", "kind"],
        "properties": {
            "patient_id": UUID,
            "due_at": MOMENT,
            "kind": {"enum": list(FOLLOW_UP_KINDS)},
            "note": {"type": "string"},
            "assigned_to": {**UUID, "description": "defaults to the caller"},
            "done_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ReferralData": {
        "type": "object",
        "required": ["patient_id", "asset_id"],
        "properties": {
            "patient_id": UUID,
            "asset_id": UUID,
            "status": {"enum": list(REFERRAL_STATUSES)},
            "note": {"type": "string"},
        },
    },
    "Change": {
        "type": "object",
        "required": ["id", "type", "data"],
        "properties": {
            "id": {**UUID, "description": "made by the phone"},
            "type": {"enum": ["patient", "checkin", "followup", "referral"]},
            "base_version": {"type": ["integer", "null"],
                             "description": "the version the phone last saw; null when new"},
            "data": {"oneOf": [_ref("PatientData"), _ref("CheckInData"), _ref("FollowUpData"),
                               _ref("ReferralData")]},
        },
    },
    "Result": {
        "type": "object",
        "required": ["id", "status", "version", "errors"],
        "properties": {
            "id": {"type": ["string", "null"]},
            "status": {"enum": ["applied", "duplicate", "conflict", "rejected"]},
            "version": {"type": ["integer", "null"]},
            "errors": {"type": "object"},
            "code": {"type": "string", "description": "why, for conflict and rejected: "
                     "content_differs, stale_version, out_of_scope, unknown_patient, forbidden, "
                     "validation_failed, unknown_type, unknown_record, invalid_id, ..."},
        },
    },
    "FeedEntry": {
        "type": "object",
        "required": ["id", "type", "deleted"],
        "properties": {
            "id": UUID,
            "type": {"enum": ["patient", "checkin", "followup", "referral", "asset"]},
            "version": {"type": "integer"},
            "deleted": {"type": "boolean"},
            "data": {"type": "object"},
        },
    },
}  # fmt: skip

BEARER = [{"device": []}]


def openapi_document(version: str) -> dict[str, Any]:
    """Return the API description for this version of the app."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Link worker sync API", "version": version,
                 "description": "Offline-first sync for social prescribing link workers."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"device": {"type": "http", "scheme": "bearer",
                                           "description": "the token from POST /devices"}},
        },
        "paths": {
            "/devices": {"post": {
                "summary": "Enrol this device",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                                   "name": {"type": "string", "maxLength": 120}}}}}},
                "responses": {
                    "201": {"description": "Enrolled; the token is shown only now",
                            "content": {"application/json": {"schema": {"type": "object",
                                "required": ["device_id", "token", "user"],
                                "properties": {"device_id": UUID, "token": {"type": "string"},
                                               "user": {"type": "object"}}}}}},
                    "400": _error_response("Not a JSON object"),
                    "401": _error_response("Wrong credentials"),
                    "403": _error_response("Missing or wrong X-CSRFToken for a page session"),
                    "422": _error_response("Missing fields"),
                    "429": _error_response("Too many failed attempts"),
                },
            }},
            "/devices/current": {"delete": {
                "summary": "Sign this device out", "security": BEARER,
                "responses": {"204": {"description": "Signed out"},
                              "401": _error_response("No usable token")},
            }},
            "/sync": {"post": {
                "summary": "Send changes, receive what changed since the cursor",
                "security": BEARER,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"cursor": {"type": ["string", "null"]},
                                   "changes": {"type": "array", "maxItems": 500,
                                               "items": _ref("Change")}}}}}},
                "responses": {
                    "200": {"description": "Results per change, and a page of the feed",
                            "content": {"application/json": {"schema": {"type": "object",
                                "required": ["results", "changes", "cursor", "more"],
                                "properties": {
                                    "results": {"type": "array", "items": _ref("Result")},
                                    "changes": {"type": "array", "items": _ref("FeedEntry")},
                                    "cursor": {"type": "string"},
                                    "more": {"type": "boolean"}}}}}},
                    "400": _error_response("Malformed JSON"),
                    "401": _error_response("invalid_token or token_expired: sign in again"),
                    "403": _error_response("device_revoked: wipe local data"),
                    "413": _error_response("Over 500 changes or 2 MiB"),
                    "422": _error_response("Bad changes list or cursor"),
                },
            }},
            "/push/key": {"get": {
                "summary": "The VAPID public key to subscribe with",
                "responses": {"200": {"description": "base64url of the 65-byte uncompressed point",
                                      "content": {"application/json": {"schema": {
                                          "type": "object", "required": ["public_key"],
                                          "properties": {"public_key": {"type": "string"}}}}}}},
            }},
            "/push/subscriptions": {
                "post": {
                    "summary": "Keep this device's push subscription", "security": BEARER,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["endpoint", "keys"],
                        "description": "PushSubscription.toJSON()",
                        "properties": {"endpoint": {"type": "string", "format": "uri"},
                                       "expirationTime": {"type": ["number", "null"]},
                                       "keys": {"type": "object", "required": ["p256dh", "auth"],
                                                "properties": {"p256dh": {"type": "string"},
                                                               "auth": {"type": "string"}}}}}}}},
                    "responses": {"201": {"description": "Subscribed"},
                                  "400": _error_response("Not a JSON object"),
                                  "401": _error_response("No usable token"),
                                  "422": _error_response("Not a usable subscription")},
                },
                "delete": {
                    "summary": "Forget this device's subscription", "security": BEARER,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["endpoint"],
                        "properties": {"endpoint": {"type": "string"}}}}}},
                    "responses": {"204": {"description": "Forgotten"},
                                  "401": _error_response("No usable token"),
                                  "422": _error_response("No endpoint given")},
                },
            },
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
    }  # fmt: skip
