"""The shape of what phones send: one pydantic model per request body and per record type.

The same models check every change before anything touches the database (giving each bad
field a message for the person who typed it) and produce the OpenAPI document
(`pwa/openapi.py`), so the two cannot drift. Field rules come from `pwa.casework.rules`, which
the page forms call too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ..casework import rules
from ..measures import MEASURES, MeasureError, score_all
from ..models import (
    CONTACT_KINDS,
    DISCHARGE_REASONS,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    NEEDS,
    PATIENT_STATUSES,
    REFERRAL_STATUSES,
)

RECORD_TYPE_NAMES = ("patient", "checkin", "followup", "referral", "contact")
MAX_CHANGES = 500


def _rule(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Turn a casework rule's Invalid into a field error carrying the rule's own words."""

    def run(value: Any) -> Any:
        if value is None:
            return None
        try:
            return check(value)
        except rules.Invalid as problem:
            raise PydanticCustomError("rule", str(problem)) from None

    return run


def Text(max_length: int, *, required: bool = False) -> Any:
    """Text, trimmed, within its length, storable; a missing optional text is empty."""
    text = Annotated[
        str,
        StringConstraints(
            strict=True,
            strip_whitespace=True,
            max_length=max_length,
            min_length=1 if required else None,
        ),
        AfterValidator(_rule(rules.storable_text)),
    ]
    if required:
        return text
    return Annotated[
        text,
        BeforeValidator(lambda v: "" if v is None else v),
        WithJsonSchema({"type": ["string", "null"], "maxLength": max_length}),
    ]


def OptionalText(max_length: int, rule: Callable[[str], str]) -> Any:
    """Text that may be left out (null or blank), checked by a rule when given."""
    return Annotated[
        str | None,
        StringConstraints(strict=True, strip_whitespace=True, max_length=max_length),
        AfterValidator(_rule(rules.storable_text)),
        AfterValidator(lambda v: _rule(rule)(v) if v else None),
    ]


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, str) and len(value) <= 36:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise PydanticCustomError("uuid", "Must be a UUID string.")


def _day(value: Any) -> date:
    if isinstance(value, str) and len(value) <= 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date", "Must be an ISO 8601 date, like 1961-04-02.")


def _moment(value: Any) -> datetime:
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                raise PydanticCustomError("offset", "Must include a UTC offset, like +01:00 or Z.")
            return parsed
    raise PydanticCustomError("datetime", "Must be an ISO 8601 date and time, with its offset.")


# Each read from a string by our own reader, written back (for review) as the same string.
_AS_TEXT = PlainSerializer(lambda value: value.isoformat() if hasattr(value, "isoformat")
                           else str(value), return_type=str, when_used="json")  # fmt: skip
RecordId = Annotated[
    uuid.UUID, PlainValidator(_uuid, json_schema_input_type=str), _AS_TEXT,
    WithJsonSchema({"type": "string", "format": "uuid"}),
]  # fmt: skip
Day = Annotated[
    date, PlainValidator(_day, json_schema_input_type=str), _AS_TEXT,
    WithJsonSchema({"type": "string", "format": "date"}),
]  # fmt: skip
Moment = Annotated[
    datetime, PlainValidator(_moment, json_schema_input_type=str), _AS_TEXT,
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "ISO 8601 with a UTC offset"}),
]  # fmt: skip


def Choice(options: Iterable[str], default: str | None = None) -> Any:
    """One of a fixed list of codes (null meaning the default, where there is one)."""
    allowed = tuple(options)

    def read(value: Any) -> str:
        if value is None and default is not None:
            return default
        if isinstance(value, str) and value in allowed:
            return value
        raise PydanticCustomError("choice", "Must be one of: {options}.",
                                  {"options": ", ".join(allowed)})  # fmt: skip

    schema: dict[str, Any] = {"enum": list(allowed)}
    if default is not None:
        schema = {"anyOf": [schema, {"type": "null"}], "default": default}
    return Annotated[str, PlainValidator(read), WithJsonSchema(schema)]


def Codes(options: Iterable[str]) -> Any:
    """A list of codes, each from a fixed list, given back in the list's own order."""
    allowed = tuple(options)

    def read(value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PydanticCustomError("codes", "Must be a list of codes.")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            # ascii(): what was sent is said back escaped, so no character of it can break
            # the answer (half a surrogate pair cannot be written as UTF-8).
            raise PydanticCustomError("codes", "Unknown: {unknown}. Must be from: {options}.",
                                      {"unknown": ", ".join(ascii(v)[:40] for v in unknown[:5]),
                                       "options": ", ".join(allowed)})  # fmt: skip
        return [code for code in allowed if code in value]

    schema = {"type": ["array", "null"], "items": {"enum": list(allowed)}}
    return Annotated[list[str], PlainValidator(read), WithJsonSchema(schema)]


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise PydanticCustomError("flag", "Must be true or false.")


def _measures(value: Any) -> dict[str, Any]:
    try:
        score_all(value)
    except MeasureError as problem:
        raise PydanticCustomError("measures", str(problem)) from None
    return dict(value)


Flag = Annotated[bool, PlainValidator(_flag), WithJsonSchema({"type": ["boolean", "null"]})]
Measures = Annotated[
    dict[str, Any], PlainValidator(_measures),
    WithJsonSchema({
        "type": "object", "minProperties": 1,
        "description": "Complete answers to at least one measure: "
                       + "; ".join(f"{m.key}: {', '.join(m.item_keys)} ({m.low}-{m.high})"
                                   for m in MEASURES.values()),
        "properties": {m.key: {"type": "object", "required": list(m.item_keys),
                               "properties": {k: {"type": "integer", "minimum": m.low,
                                                  "maximum": m.high} for k in m.item_keys}}
                       for m in MEASURES.values()},
        "additionalProperties": False,
    }),
]  # fmt: skip


# A username or password as typed: not trimmed, but storable (no NUL, whole characters).
PhoneKeyId = Annotated[
    str, StringConstraints(strict=True, min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")
]
Credential = Annotated[
    str, StringConstraints(strict=True, max_length=1000), AfterValidator(_rule(rules.storable_text))
]

if TYPE_CHECKING:  # what each field holds once checked
    Name: TypeAlias = str
    DeviceName: TypeAlias = str
    Endpoint: TypeAlias = str
    Note: TypeAlias = str
    Notes: TypeAlias = str
    Reason: TypeAlias = str
    NhsNumber: TypeAlias = str | None
    Phone: TypeAlias = str | None
    Postcode: TypeAlias = str | None
    PatientStatus: TypeAlias = str
    DischargeReason: TypeAlias = str
    FollowUpKind: TypeAlias = str
    ContactKind: TypeAlias = str
    FollowUpOutcome: TypeAlias = str
    ReferralStatus: TypeAlias = str
    RecordTypeName: TypeAlias = str
    NeedCodes: TypeAlias = list[str]
else:
    Name, DeviceName = Text(100, required=True), Text(120, required=True)
    Endpoint = Text(1000, required=True)
    Note, Notes, Reason = Text(2000), Text(10000), Text(4000)
    NhsNumber = OptionalText(14, rules.nhs_number)
    Phone = OptionalText(40, rules.phone)
    Postcode = OptionalText(10, rules.postcode)
    PatientStatus = Choice(PATIENT_STATUSES, default="active")
    DischargeReason = Choice(DISCHARGE_REASONS)
    FollowUpKind = Choice(FOLLOW_UP_KINDS)
    ContactKind = Choice(CONTACT_KINDS)
    FollowUpOutcome = Choice(FOLLOW_UP_OUTCOMES)
    ReferralStatus = Choice(REFERRAL_STATUSES, default="suggested")
    RecordTypeName = Choice(RECORD_TYPE_NAMES)
    NeedCodes = Codes(NEEDS)


class Shape(BaseModel):
    """A record's `data`: unknown fields are ignored (the phone may send `scores`, `source`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=False, frozen=True)

    def values(self) -> dict[str, Any]:
        """Return the checked values under their column names."""
        return self.model_dump()


class PatientData(Shape):
    given_name: Name
    family_name: Name
    date_of_birth: Annotated[Day | None, AfterValidator(_rule(rules.date_of_birth))] = None
    nhs_number: NhsNumber = None
    phone: Phone = None
    postcode: Postcode = None
    link_worker_id: RecordId | None = Field(None, description="defaults to the caller")
    status: PatientStatus = "active"
    discharge_reason: DischargeReason | None = Field(
        None, description="why, when this change discharges the patient; else ignored"
    )
    needs: NeedCodes = []
    referral_reason: Reason = ""
    consent_to_contact: Flag = False


class CheckInData(Shape):
    patient_id: RecordId
    captured_at: Annotated[Moment, AfterValidator(_rule(rules.captured_at))]
    measures: Measures
    needs: NeedCodes = []
    notes: Notes = ""
    amends_id: RecordId | None = Field(None, alias="amends")
    # The server decides these; whatever a phone says of them is ignored.
    source: Any = Field(None, description="set by the server; ignored", exclude=True)
    scores: Any = Field(None, description="filled in by the server; ignored", exclude=True)


class FollowUpData(Shape):
    patient_id: RecordId
    due_at: Annotated[Moment, AfterValidator(_rule(rules.follow_up_moment))]
    kind: FollowUpKind
    note: Note = ""
    assigned_to_id: RecordId | None = Field(None, alias="assigned_to",
                                            description="defaults to the caller")  # fmt: skip
    done_at: Annotated[Moment | None, AfterValidator(_rule(rules.follow_up_moment))] = None
    outcome: FollowUpOutcome | None = Field(None, description="how it went, once done")


class ReferralData(Shape):
    patient_id: RecordId
    asset_id: RecordId
    status: ReferralStatus = "suggested"
    note: Note = ""


class ContactData(Shape):
    """A quick contact. Immutable, like a check-in: sent once, never changed."""

    patient_id: RecordId
    kind: ContactKind
    happened_at: Annotated[Moment, AfterValidator(_rule(rules.captured_at))]
    note: Note = ""


DATA_SHAPES: dict[str, type[Shape]] = {
    "patient": PatientData,
    "checkin": CheckInData,
    "followup": FollowUpData,
    "referral": ReferralData,
    "contact": ContactData,
}


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31:
        return value
    raise PydanticCustomError("version", "Must be null or the record's version number.")


def _object(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise PydanticCustomError("object", "Must be an object.")


class Change(BaseModel):
    """One record the phone sends: its id, type, the version it last saw, and its data."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: RecordId = Field(description="made by the phone")
    type: RecordTypeName
    base_version: Annotated[
        int | None, PlainValidator(_version),
        WithJsonSchema({"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1,
                        "description": "the version the phone last saw; null when new"}),
    ] = None  # fmt: skip
    data: Annotated[
        dict[str, Any], PlainValidator(_object),
        WithJsonSchema({"oneOf": [{"$ref": f"#/components/schemas/{s.__name__}"}
                                  for s in DATA_SHAPES.values()]}),
    ]  # fmt: skip
    sent_back: StrictBool = Field(
        False, description="sent again after the server was restored from a backup: a refusal "
                           "is then kept for an admin to review")  # fmt: skip


class SyncRequest(BaseModel):
    """The body of POST /sync. Each change is checked on its own: one bad change never stops
    the others, so the list's items are read one by one (`read_change`)."""

    model_config = ConfigDict(extra="ignore")

    cursor: str | None = Field(None, description="opaque; null for everything")
    changes: Annotated[
        list[Any],
        WithJsonSchema({"type": "array", "maxItems": MAX_CHANGES,
                        "items": {"$ref": "#/components/schemas/Change"}}),
    ] = []  # fmt: skip


class HeldRecord(BaseModel):
    """One record a phone holds, named by id, type and the version it holds (no content). Any
    type may be named (directory entries too); only what it could send back is ever answered."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: RecordId
    type: Annotated[str, Field(min_length=1, max_length=40)]
    version: Annotated[StrictInt | None, Field(ge=1, le=2**31 - 1)] = None


class HeldRequest(BaseModel):
    """The body of POST /sync/held: which of these does the server lack? (After a restore.)"""

    model_config = ConfigDict(extra="ignore")

    records: Annotated[list[HeldRecord], Field(max_length=MAX_CHANGES)]


class EnrolRequest(BaseModel):
    """The body of POST /devices: a name, and the person's credentials unless signed in."""

    model_config = ConfigDict(extra="ignore")

    name: DeviceName
    username: Credential | None = None
    password: Credential | None = None
    # The phone's device key from an earlier enrolment (pwa/phone_keys.py): named with the
    # password, the same key comes back, so records sealed under it open again.
    phone_key_id: PhoneKeyId | None = None


class PushKeys(BaseModel):
    p256dh: Annotated[str, StringConstraints(strict=True, max_length=200)]
    auth: Annotated[str, StringConstraints(strict=True, max_length=200)]


class PushSubscriptionBody(BaseModel):
    """`PushSubscription.toJSON()`, as the browser gives it."""

    model_config = ConfigDict(extra="ignore")

    endpoint: Endpoint
    expirationTime: float | None = None
    keys: PushKeys


class ForgetSubscription(BaseModel):
    model_config = ConfigDict(extra="ignore")

    endpoint: Endpoint


# Pydantic's own messages, said as the rest of the API says things.
_PLAIN = {
    "missing": "Required.",
    "string_type": "Must be text.",
    "string_unicode": "Must be plain text (it holds a character that cannot be stored).",
    "string_too_short": "Required.",
    "string_too_long": "Must be at most {max_length} characters.",
    "model_type": "Must be an object.",
    "model_attributes_type": "Must be an object.",
    "dict_type": "Must be an object.",
    "list_type": "Must be a list.",
    "float_type": "Must be a number.",
    "float_parsing": "Must be a number.",
}


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Return a validation error as {field: [messages]}, fields named as the contract names them."""
    found: dict[str, list[str]] = {}
    try:
        problems = error.errors(include_url=False, include_input=False)
    except UnicodeEncodeError:  # a message quoting unstorable text: say so, without quoting it
        return {"change": ["Holds text that cannot be stored (half of a surrogate pair)."]}
    for problem in problems:
        field = ".".join(str(part) for part in problem["loc"]) or "body"
        template = _PLAIN.get(problem["type"])
        message = template.format(**problem.get("ctx", {})) if template else problem["msg"]
        found.setdefault(field, []).append(message)
    return found
