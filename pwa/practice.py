"""Words the practice writes for its patients, kept in the database and edited by its admins.

Each has a default, so a new practice shows something true before anyone writes a word. They
hold no patient data: the pages that show them are public and kept on phones for offline use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from .audit import audit
from .extensions import db
from .models import PracticeText, User, utcnow


def practice_zone() -> ZoneInfo:
    """The practice's time zone: its days and hours, whatever the server's clock says."""
    return ZoneInfo(current_app.config["PRACTICE_TIMEZONE"])


def practice_today() -> date:
    """Today, at the practice (a server in UTC is a day behind from midnight to 1am in BST)."""
    return datetime.now(practice_zone()).date()


@dataclass(frozen=True)
class Text:
    title: str
    hint: str
    default: str


TEXTS: dict[str, Text] = {
    "link_worker_help": Text(
        "What your link worker can help with",
        "Shown to patients on \u201cWhat your link worker can help with\u201d. Short sentences. "
        "Start a new paragraph with a blank line.",
        "Your link worker helps with the things in life that affect your health but are not "
        "medical. This might be feeling lonely, money worries, housing, or finding something "
        "to do.\n\n"
        "They listen to what matters to you. Then they help you find groups, clubs, charities "
        "and services near you. They can come with you the first time, or help you get "
        "started.\n\n"
        "Your link worker is not a doctor or a nurse. They cannot give medicine or treatment. "
        "They can help you talk to your GP practice if you need to.\n\n"
        "You decide what to do. You can stop at any time.",
    ),
    "gp_practice": Text(
        "How to contact the practice",
        "Shown in \u201cIf you need help\u201d: the practice's name, phone number and opening "
        "hours.",
        "Call your GP practice. Their number is on your repeat prescription and in the NHS App.",
    ),
}


def practice_text(key: str) -> str:
    """The practice's words for `key`, or the default."""
    row = db.session.get(PracticeText, key)
    return row.text if row is not None else TEXTS[key].default


def set_practice_text(key: str, text: str, by: User) -> bool:
    """Save the practice's words for `key`; return whether they changed. Audited; the caller
    commits. Empty text goes back to the default."""
    if key not in TEXTS:
        raise KeyError(key)
    row = db.session.get(PracticeText, key)
    text = text.strip().replace("\r\n", "\n")
    if (row.text if row else TEXTS[key].default) == (text or TEXTS[key].default):
        return False
    if not text:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(PracticeText(key=key, text=text, updated_by_id=by.id))
    else:
        row.text, row.updated_at, row.updated_by_id = text, utcnow(), by.id
    audit("practice.text_change", record_type="practice_text", record_id=key)
    return True


def practice_name() -> str:
    return str(current_app.config["PRACTICE_NAME"])
