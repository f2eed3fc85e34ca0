"""A patient's timeline: everything that happened with them, newest first, one line each.

Contacts, check-ins, follow-ups (booked, or done with how it went) and referrals, each as a
`Line` a worker can scan on a phone. Pure: it reads the records it is given and asks nothing
of the database. The offline record page draws the same lines from what the phone holds
(`static/js/timeline.mjs`), and a Chromium test compares the two, word for word.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import AssetReferral, CheckIn, Contact, FollowUp


@dataclass(frozen=True)
class Line:
    at: datetime
    what: str  # "Phone call", "Check-in", "Visit booked", "Referral: Knit and Natter"
    detail: str = ""  # the note, the scores, how it went
    tag: str = ""  # a referral's status; "Overdue"
    tag_colour: str = ""  # an NHS.UK tag modifier: "red", "green"
    href: str | None = None  # the record's own page, where it has one


def score_words(scores: dict[str, dict[str, Any]]) -> str:
    """A check-in's headline scores, as the record page has always said them."""
    parts = []
    if swemwbs := scores.get("swemwbs"):
        parts.append(f"SWEMWBS {swemwbs['metric']:.2f}")
    if ons4 := scores.get("ons4"):
        parts.append(f"Life satisfaction {ons4['life_satisfaction']['value']}, "
                     f"anxiety {ons4['anxiety']['value']}")  # fmt: skip
    if ucla3 := scores.get("ucla3"):
        parts.append(f"UCLA-3 {ucla3['total']}{' (lonely)' if ucla3['lonely'] else ''}")
    return ". ".join(parts)


def _joined(*parts: str) -> str:
    return " – ".join(part for part in parts if part)  # noqa: RUF001 (an en dash, as printed)


def contact_line(contact: Contact) -> Line:
    return Line(contact.happened_at, contact.kind_name, contact.note)


def check_in_line(check_in: CheckIn, href: str | None = None) -> Line:
    what = "Self check-in" if check_in.source == "self" else "Check-in"
    return Line(check_in.captured_at, what, score_words(check_in.scores), href=href)


def follow_up_line(follow_up: FollowUp, now: datetime) -> Line:
    if follow_up.done_at is not None:
        return Line(follow_up.done_at, f"{follow_up.kind_name} done",
                    _joined(follow_up.outcome_name, follow_up.note))  # fmt: skip
    overdue = follow_up.due_at < now
    return Line(follow_up.due_at, f"{follow_up.kind_name} booked", follow_up.note,
                tag="Overdue" if overdue else "", tag_colour="red" if overdue else "")  # fmt: skip


# How a referral went, told apart at a glance (timeline.mjs says the same).
REFERRAL_TAG_COLOURS = {"attended": "green", "declined": "grey"}


def referral_line(referral: AssetReferral) -> Line:
    return Line(referral.created_at, f"Referral: {referral.asset.name}", referral.note,
                tag=referral.status_name,
                tag_colour=REFERRAL_TAG_COLOURS.get(referral.status, ""))  # fmt: skip


def timeline(
    contacts: Iterable[Contact],
    check_ins: Iterable[tuple[CheckIn, str | None]],
    follow_ups: Iterable[FollowUp],
    referrals: Iterable[AssetReferral],
    now: datetime,
) -> list[Line]:
    """Every record as a line, newest first (a booked follow-up still to come is at the top).

    Check-ins come with the address of their page (None where the reader has none).
    """
    lines = [
        *(contact_line(c) for c in contacts),
        *(check_in_line(c, href) for c, href in check_ins),
        *(follow_up_line(f, now) for f in follow_ups),
        *(referral_line(r) for r in referrals),
    ]
    return sorted(lines, key=lambda line: line.at, reverse=True)
