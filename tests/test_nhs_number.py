"""NHS numbers are checked with their modulus 11 check digit."""

from __future__ import annotations

import pytest

from pwa.nhs_number import format_nhs_number, is_valid_nhs_number


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_it_accepts_numbers_with_the_right_check_digit(number: str) -> None:
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # wrong check digit
        "943476591",  # nine digits
        "94347659190",  # eleven digits
        "94347659A9",  # a letter
        "",
        "1000000010",  # first nine digits give remainder 1: check digit 10, never valid
        "٩٤٣٤٧٦٥٩١٩",  # the right digits, in Arabic-Indic numerals
        "９４３４７６５９１９",  # and fullwidth
    ],
)
def test_it_refuses_anything_else(number: str) -> None:
    assert not is_valid_nhs_number(number)


def test_it_formats_as_three_three_four() -> None:
    assert format_nhs_number("9434765919") == "943 476 5919"
