"""People on a link worker's caseload."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, String, Text, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..nhs_number import format_nhs_number
from .base import Synced, UTCDateTime

if TYPE_CHECKING:
    from .records import AssetReferral, CheckIn, Contact, FollowUp
    from .users import User

NEEDS = {
    "loneliness": "Loneliness or isolation",
    "debt": "Debt or money worries",
    "housing": "Housing",
    "employment": "Employment",
    "benefits": "Benefits",
    "mental_wellbeing": "Mental wellbeing",
    "physical_activity": "Physical activity",
    "carer": "Caring for someone",
    "food": "Food",
    "digital": "Getting online",
    "other": "Something else",
}
PATIENT_STATUSES = ("active", "discharged")
# Why a patient left the caseload, as the outcomes report counts them.
DISCHARGE_REASONS = {
    "goals_met": "Goals met",
    "declined": "Declined further support",
    "moved_away": "Moved away",
    "no_contact": "Could not be contacted",
    "referred_on": "Referred on to another service",
    "died": "Died",
}


class Patient(Synced, Model):
    __tablename__ = "patients"

    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    postcode: Mapped[str | None] = mapped_column(String(10))
    # active_history: the old value is loaded before a change, even on an expired object, so the
    # change-sequence hook can tell which caseload the patient left (see scope_changes).
    link_worker_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), nullable=False, index=True, active_history=True
    )
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default="active", active_history=True
    )
    needs: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    referral_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consent_to_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One of DISCHARGE_REASONS; None while active, and for discharges from before it was asked.
    discharge_reason: Mapped[str | None] = mapped_column(String(30))
    # The change sequence number at which the patient last entered a caseload (added, reassigned
    # or reactivated): the feed then sends all their records, however old, to the new phone.
    scope_seq: Mapped[int | None] = mapped_column(BigInteger)
    # The patient's own sign-in, once they have been invited to self-report.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)

    link_worker: Mapped[User] = relationship(foreign_keys=[link_worker_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    check_ins: Mapped[list[CheckIn]] = relationship(
        back_populates="patient", order_by="CheckIn.captured_at"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="patient", order_by="Contact.happened_at"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="patient", order_by="FollowUp.due_at"
    )
    referrals: Mapped[list[AssetReferral]] = relationship(
        back_populates="patient", order_by="AssetReferral.created_at"
    )

    def scope_changes(self) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """Return the link worker whose active caseload held this patient before and after."""
        after = self.link_worker_id if self.status == "active" else None
        state = inspect(self)
        if state.pending or state.transient:
            # New: its link_worker_id may still be unset if given as a relationship.
            return (None, after or (self.link_worker.id if self.link_worker else None))
        worker, status = state.attrs.link_worker_id.history, state.attrs.status.history
        old_worker = worker.deleted[0] if worker.deleted else self.link_worker_id
        old_status = status.deleted[0] if status.deleted else self.status
        return (old_worker if old_status == "active" else None, after)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str:
        return format_nhs_number(self.nhs_number) if self.nhs_number else ""

    @property
    def discharge_reason_name(self) -> str:
        return DISCHARGE_REASONS.get(self.discharge_reason or "", "Not recorded")

    @property
    def need_names(self) -> list[str]:
        return [NEEDS.get(code, code) for code in self.needs]
