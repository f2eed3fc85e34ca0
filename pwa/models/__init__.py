"""The data model in DESIGN.md, one module per area."""

from __future__ import annotations

from .access_links import LINK_PURPOSES, AccessLink, CheckInLook, PracticeText
from .assets import ASSET_CATEGORIES, CommunityAsset
from .audit import AuditEvent
from .base import Synced, UTCDateTime, change_counter, new_epoch, utcnow
from .patients import DISCHARGE_REASONS, NEEDS, PATIENT_STATUSES, Patient
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
    CONTACT_KINDS,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_OUTCOMES,
    REFERRAL_STATUSES,
    AssetReferral,
    CheckIn,
    Contact,
    FollowUp,
)
from .sync import ScopeExit, SyncReview
from .throttle import RateLimitCounter
from .users import ROLE_NAMES, ROLES, STAFF_ROLES, Device, PhoneKey, User, WebSession

__all__ = [
    "ASSET_CATEGORIES",
    "CHECKIN_SOURCES",
    "CONTACT_KINDS",
    "DELIVERY_STATUSES",
    "DISCHARGE_REASONS",
    "FOLLOW_UP_KINDS",
    "FOLLOW_UP_OUTCOMES",
    "LINK_PURPOSES",
    "NEEDS",
    "NOTICE_KINDS",
    "PATIENT_STATUSES",
    "REFERRAL_STATUSES",
    "ROLES",
    "ROLE_NAMES",
    "STAFF_ROLES",
    "AccessLink",
    "AssetReferral",
    "AuditEvent",
    "CheckIn",
    "CheckInLook",
    "CommunityAsset",
    "Contact",
    "Device",
    "FollowUp",
    "Patient",
    "PhoneKey",
    "PracticeText",
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
