"""The password policy: zxcvbn's judgement, with reasons a person can act on."""

from __future__ import annotations

import pytest

from pwa.password_policy import password_problem


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password1234", "very common password"),
        ("qwertyuiop12", "similar to a commonly used password"),
        ("amaraokafor1", "uses your name"),
        ("Okafor-2024-Leeds", "uses your name"),
        ("short", "at least 12 characters"),
        ("a" * 201, "200 characters or fewer"),
        ("a" * 100, "harder to guess"),  # judged by its first 72 characters
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    problem = password_problem(password, personal=["Amara Okafor", "amara.o"])
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "password", ["teapot river lantern", "Tr0ub4dor&3xx", "copper kettle meadow"]
)
def test_strong_passwords_pass(password: str) -> None:
    assert password_problem(password, personal=["Amara Okafor", "amara.o"]) is None
