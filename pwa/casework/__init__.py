"""Record operations: add a patient, record a check-in, log a contact, book and complete a
follow-up, refer, discharge, reassign. The pages and the sync path both call these, so each rule
is written once.

Each operation checks the trust boundary (`pwa.scope`) against the record that exists, applies
the record's own rules and derived fields, and raises `pwa.scope.Refused` when it cannot. None
commits: the caller owns the transaction (and its audit event).
"""

from __future__ import annotations

from .check_ins import close_due_self_check_ins, new_check_in_row, record_check_in
from .contacts import new_contact_row, record_contact
from .follow_ups import (
    add_follow_up,
    change_follow_up,
    complete_follow_up,
    may_mark_done,
    new_follow_up_row,
)
from .patients import add_patient, change_patient, new_patient_row, same_name_and_birth
from .referrals import add_referral, change_referral, new_referral_row

__all__ = [
    "add_follow_up",
    "add_patient",
    "add_referral",
    "change_follow_up",
    "change_patient",
    "change_referral",
    "close_due_self_check_ins",
    "complete_follow_up",
    "may_mark_done",
    "new_check_in_row",
    "new_contact_row",
    "new_follow_up_row",
    "new_patient_row",
    "new_referral_row",
    "record_check_in",
    "record_contact",
    "same_name_and_birth",
]
