"""The data model in DESIGN.md, one module per area."""

from __future__ import annotations

from .assets import ASSET_CATEGORIES, CommunityAsset
from .audit import AuditEvent
from .base import Synced, UTCDateTime, change_counter, new_epoch, utcnow
from .patients import NEEDS, PATIENT_STATUSES, Patient
from .push import (
    DELIVERY_STATUSES,
    NOTICE_KINDS,
    PushClaim,
    PushDelivery,
    PushNotice,
    PushSubscription,
)
from .records import (
    CHECKIN_SOURCES,
    FOLLOW_UP_KINDS,
    REFERRAL_STATUSES,
    AssetReferral,
    CheckIn,
    FollowUp,
)
from .sync import ScopeExit, SyncReview
from .throttle import RateLimitCounter
from .users import ROLE_NAMES, ROLES, STAFF_ROLES, Device, PhoneKey, User, WebSession

__all__ = [
    "ASSET_CATEGORIES",
    "CHECKIN_SOURCES",
    "DELIVERY_STATUSES",
    "FOLLOW_UP_KINDS",
    "NEEDS",
    "NOTICE_KINDS",
    "PATIENT_STATUSES",
    "REFERRAL_STATUSES",
    "ROLES",
    "ROLE_NAMES",
    "STAFF_ROLES",
    "AssetReferral",
    "AuditEvent",
    "CheckIn",
    "CommunityAsset",
    "Device",
    "FollowUp",
    "Patient",
    "PhoneKey",
    "PushClaim",
    "PushDelivery",
    "PushNotice",
    "PushSubscription",
    "RateLimitCounter",
    "ScopeExit",
    "SyncReview",
    "Synced",
    "UTCDateTime",
    "User",
    "WebSession",
    "change_counter",
    "new_epoch",
    "utcnow",
]
