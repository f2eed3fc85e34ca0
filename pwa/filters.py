"""Template filters that show dates, times and scores the way people in the practice read them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

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
    app.add_template_filter(format_value, "score")
    app.add_template_filter(need_name, "need_name")
    app.add_template_filter(lambda reason: HELP_REASONS.get(reason, reason), "help_reason")
    from .audit_trail import action_name

    app.add_template_filter(action_name, "audit_action")
    # The practice's words for its patients (pwa/practice.py), read where a page shows them.
    from .practice import practice_text

    app.add_template_global(practice_text, "practice_text")
