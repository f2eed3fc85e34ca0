"""Check NHS numbers with their modulus 11 check digit."""

from __future__ import annotations

import re

_WEIGHTS = range(10, 1, -1)


def normalise_nhs_number(text: str) -> str:
    """Return the digits of an NHS number typed with or without spaces or dashes."""
    return re.sub(r"[\s-]", "", text)


def is_valid_nhs_number(text: str) -> bool:
    """Return whether text is a 10-digit NHS number whose check digit is right."""
    digits = normalise_nhs_number(text)
    # [0-9], not \d: Python's \d takes any script's digits, which the GP system would not.
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    # A remainder giving 10 means no valid NHS number has these first nine digits.
    return check != 10 and check == int(digits[9])


def format_nhs_number(digits: str) -> str:
    """Show an NHS number in the 3 3 4 grouping people read it in."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits
