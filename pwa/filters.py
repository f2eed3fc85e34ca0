"""Template filters that show dates, times and scores the way people in the practice read them."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from markupsafe import Markup, escape

from .charts import format_value
from .measures import HELP_REASONS
from .models import NEEDS


def _local(value: datetime) -> datetime:
    """Return a moment in the practice's time zone; one at the edge of the calendar as it is."""
    try:
        return value.astimezone(ZoneInfo(current_app.config["PRACTICE_TIMEZONE"]))
    except (OverflowError, ValueError):
        return value


def format_date(value: date | datetime | None) -> str:
    """Show a date as 3 March 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    """Show a moment as 3 March 2026 at 2:30pm, in the practice's time zone."""
    if value is None:
        return ""
    local = _local(value)
    hour = local.hour % 12 or 12
    return f"{format_date(local)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


# A phone number inside free text ("Call 0113 496 0001, Mondays"): a digit, then digits, spaces,
# brackets or dashes, ending in a digit, with 10 to 13 digits in all. static/js/dom.mjs
# `withPhoneLinks` finds the same, so a number is a link online and offline alike.
PHONE_IN_TEXT = re.compile(r"\+?\d[\d ()-]{7,}\d")


def phone_links(text: str | None) -> Markup:
    """Escape the text, making each phone number in it a tel: link a phone can call."""
    if not text:
        return Markup("")
    parts, last = [], 0
    for found in PHONE_IN_TEXT.finditer(text):
        number = re.sub(r"[^\d+]", "", found.group())
        if not 10 <= sum(c.isdigit() for c in number) <= 13:
            continue
        parts += [escape(text[last : found.start()]),
                  Markup('<a href="tel:{}">{}</a>').format(number, found.group())]  # fmt: skip
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def signed(value: float) -> str:
    """Show a change with its sign: +2, -1.5, 0."""
    text = f"{value:+.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def need_name(code: str) -> str:
    """Name a need code the way the forms do."""
    return NEEDS.get(code, code)


def init_app(app: Flask) -> None:
    """Register the filters and the values every template needs."""
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(signed, "signed")
    app.add_template_filter(phone_links, "phone_links")
    app.add_template_filter(format_value, "score")
    app.add_template_filter(need_name, "need_name")
    app.add_template_filter(lambda reason: HELP_REASONS.get(reason, reason), "help_reason")
    from .audit_trail import action_name

    app.add_template_filter(action_name, "audit_action")
    # The practice's words for its patients (pwa/practice.py), read where a page shows them.
    from .practice import practice_text

    app.add_template_global(practice_text, "practice_text")
