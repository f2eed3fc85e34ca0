"""Form fields for the NHS.UK patterns WTForms lacks: a memorable date and checkbox lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from wtforms import Field, SelectMultipleField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in the stubs
from wtforms.validators import ValidationError


class MemorableDateField(Field):
    """A date typed as day, month and year boxes (NHS.UK date input), read from NAME-day etc."""

    PARTS = ("day", "month", "year")

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = dict.fromkeys(self.PARTS, "")
        self.parse_error: str | None = None

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(None, data, extra_filters)
        if isinstance(self.data, date):
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }
        if formdata is None or not any(f"{self.name}-{p}" in formdata for p in self.PARTS):
            return
        self.raw_data = [formdata.get(f"{self.name}-{p}", "") for p in self.PARTS]
        self.parts = {p: (formdata.get(f"{self.name}-{p}") or "").strip() for p in self.PARTS}
        self.data = None
        if not any(self.parts.values()):
            return
        missing = [p for p in self.PARTS if not self.parts[p]]
        if missing:
            self.parse_error = f"{self.label.text} must include a {missing[0]}"
            return
        try:
            day, month, year = (int(self.parts[p]) for p in self.PARTS)
            if year < 1000:
                raise ValueError
            self.data = date(year, month, day)
        except (ValueError, OverflowError):
            self.parse_error = f"{self.label.text} must be a real date"

    def pre_validate(self, form: Any) -> None:
        if self.parse_error:
            raise ValidationError(self.parse_error)

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""


class CheckboxListField(SelectMultipleField):
    """Several choices ticked from a list, rendered as NHS.UK checkboxes."""

    def pre_validate(self, form: Any) -> None:
        allowed = {choice.value for choice in self.choices or []}  # type: ignore[union-attr]
        for value in self.data or []:
            if str(value) not in allowed:
                raise ValidationError(f"{value!r} is not one of the choices")


def choice_list(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into the choices WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip_whitespace(value: Any) -> Any:
    """Trim what was typed, so a name of only spaces counts as no name."""
    return value.strip() if isinstance(value, str) else value
