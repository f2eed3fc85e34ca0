"""Practice admins review what phones sent that the server did not apply: conflicts, and
changes for patients who had left the sender's caseload while they were offline."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import review_words
from ..access import admin_only
from ..audit import audit
from ..extensions import db
from ..forms.base import PageForm
from ..models import Patient, SyncReview, User, utcnow

bp = Blueprint("admin_sync_reviews", __name__, url_prefix="/admin/sync-reviews")

REASONS = {
    "conflict": "Changed on the server first",
    "out_of_scope": "Patient had left their caseload",
    "patient_discharged": "Patient had been discharged",
}
PAGE_SIZE = 50


class ResolveForm(PageForm):
    """A button: the CSRF token is the whole form."""


def _patient_id(review: SyncReview) -> uuid.UUID | None:
    """Return the patient a kept change is about, if it names one that exists."""
    raw = review.record_id if review.record_type == "patient" else review.data.get("patient_id")
    try:
        found = uuid.UUID(str(raw))
    except ValueError:
        return None
    return found if db.session.get(Patient, found) else None


@bp.get("")
@admin_only
def list_reviews() -> ResponseReturnValue:
    """List the kept changes still to look at, oldest first, a page at a time, no patient detail."""
    waiting = db.select(SyncReview).where(SyncReview.resolved_at.is_(None))
    total = db.session.scalar(db.select(db.func.count()).select_from(waiting.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = db.session.execute(
        waiting.add_columns(User.display_name)
        .join(User, User.id == SyncReview.user_id)
        .order_by(SyncReview.received_at, SyncReview.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template("admin/sync_reviews.html", rows=rows, reasons=REASONS, page=page,
                           pages=pages, total=total)  # fmt: skip


@bp.get("/<int:review_id>")
@admin_only
def show_review(review_id: int) -> ResponseReturnValue:
    """Show what the phone sent beside a link to the record as the server holds it."""
    review = db.session.get(SyncReview, review_id) or abort(404)
    patient_id = _patient_id(review)
    audit("sync_review.read", record_type=review.record_type, record_id=review.record_id,
          patient_id=patient_id)  # fmt: skip
    db.session.commit()
    sender = db.session.get(User, review.user_id)
    held = review_words.current(review.record_type, review.record_id)
    return render_template(
        "admin/sync_review.html", review=review, sender=sender,
        rows=review_words.side_by_side(review.record_type, review.data, held),
        patient=db.session.get(Patient, patient_id) if patient_id else None,
        patient_id=patient_id, reasons=REASONS, form=ResolveForm(),
    )  # fmt: skip


@bp.post("/<int:review_id>/resolve")
@admin_only
def resolve_review(review_id: int) -> ResponseReturnValue:
    """Mark a kept change as dealt with (anything to copy over is done on the record itself)."""
    review = db.session.get(SyncReview, review_id) or abort(404)
    if not ResolveForm().validate_on_submit():
        abort(400)
    review.resolved_at = review.resolved_at or utcnow()
    audit("sync_review.resolve", record_type=review.record_type, record_id=review.record_id,
          patient_id=_patient_id(review))  # fmt: skip
    db.session.commit()
    flash("Marked as reviewed", "success")
    return redirect(url_for("admin_sync_reviews.list_reviews"))
