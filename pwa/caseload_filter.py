"""Finding someone on a caseload: search by name or NHS number, filter by need and by when the
next contact is due, sort by name or by next contact.

The phone applies the same rules offline, as the worker types (static/js/caseload-filter.mjs);
tests/test_caseload_filter.py runs the same cases through both, so a name found online is found
offline. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import NEEDS

DUE_CHOICES = {"overdue": "Overdue", "week": "Due in the next 7 days"}
ORDER_CHOICES = {"name": "Name", "next": "Next contact, soonest first"}
DIGITS = "0123456789"


@dataclass(frozen=True)
class CaseloadFilter:
    text: str = ""
    need: str = ""
    due: str = ""
    order: str = "name"

    @classmethod
    def read(cls, args: Mapping[str, str]) -> CaseloadFilter:
        """The filter a page's query arguments ask for; anything unknown is left out."""
        need, due, order = args.get("need", ""), args.get("due", ""), args.get("order", "")
        return cls(
            text=args.get("q", "")[:100],
            need=need if need in NEEDS else "",
            due=due if due in DUE_CHOICES else "",
            order=order if order in ORDER_CHOICES else "name",
        )

    @property
    def narrows(self) -> bool:
        return bool(self.text.strip() or self.need or self.due)


def text_matches(text: str, full_name: str, nhs_number: str | None) -> bool:
    """Whether what was typed finds this patient.

    Digits alone (spaces allowed, at least 3) look in the NHS number; anything else looks in the
    name, every word somewhere in it, in any case and whatever the punctuation ("mar obr"
    finds Margaret O'Brien).
    """
    typed = text.strip().lower()
    if not typed:
        return True
    digits = "".join(c for c in typed if c in DIGITS)
    if all(c in DIGITS or c == " " for c in typed):
        return len(digits) >= 3 and bool(nhs_number) and digits in (nhs_number or "")
    name = _letters(full_name.lower())
    return all(word in name for word in _letters(typed).split())


def _letters(text: str) -> str:
    """Letters, digits and spaces only: "obrien" finds O'Brien, "smithjones" Smith-Jones."""
    return re.sub(r"[^\w\s]|_", "", text)


def due_state(next_due: datetime | None, now: datetime) -> str:
    """'overdue', 'week' (in the next 7 days), 'later' or 'none' (nothing booked)."""
    if next_due is None:
        return "none"
    if next_due < now:
        return "overdue"
    return "week" if next_due < now + timedelta(days=7) else "later"


def keeps(
    chosen: CaseloadFilter,
    *,
    full_name: str,
    nhs_number: str | None,
    needs: list[str],
    next_due: datetime | None,
    now: datetime,
) -> bool:
    """Whether a patient stays on the list the filter asks for."""
    if not text_matches(chosen.text, full_name, nhs_number):
        return False
    if chosen.need and chosen.need not in needs:
        return False
    return not chosen.due or due_state(next_due, now) == chosen.due
