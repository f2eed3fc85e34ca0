"""Which new passwords to refuse, and why, in words for the person choosing one.

The judgement is zxcvbn's (Dropbox's estimator, the `zxcvbn` package on PyPI): it knows the
common-password lists, names, keyboard runs, dates and l33t swaps, and says what it found. We
refuse what it scores below 3 of 4 ("safely unguessable: moderate protection from offline
slow-hash attacks") and anything shorter than MIN_PASSWORD_LENGTH, as NCSC and NIST SP 800-63B
ask: length and a blocklist, not rules about symbols. A hand-written regex or a short list would
pass "Password123!" and refuse "teapot river lantern"; this does the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from .passwords import MIN_PASSWORD_LENGTH

MAX_PASSWORD_LENGTH = 200
# zxcvbn refuses longer input (its matching is quadratic): the first 72 characters are judged,
# and a password whose first 72 are guessable is guessable.
_JUDGED_LENGTH = 72
_LEAST_SCORE = 3

_NAME = "It uses your name or username, which others can guess."
# The service's own words (NIST SP 800-63B asks for "context-specific words, such as the name
# of the service"): zxcvbn counts a password built on them as guessable.
SERVICE_WORDS = ("linkworker", "link", "worker", "mywellbeing", "wellbeing", "nhs")
ADVICE = "Three random words work well, like \u201cteapot river lantern\u201d."


def password_problem(password: str, *, personal: Iterable[str] = ()) -> str | None:
    """Return why `password` will not do, or None if it will.

    `personal`: words the person's own details give away (their name, username): zxcvbn counts
    a password built from them as guessable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Your password must be at least {MIN_PASSWORD_LENGTH} characters. {ADVICE}"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer."
    words = [w.lower() for part in personal for w in part.replace(".", " ").split() if len(w) > 2]
    # zxcvbn counts a name it is told of as one guess, but may still score "amaraokafor1" 3:
    # a password holding the person's own name (4 letters or more) is refused outright.
    if any(len(w) > 3 and w in password.lower() for w in words):
        return f"Choose a password that is harder to guess. {_NAME} {ADVICE}"
    verdict = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=[*words, *SERVICE_WORDS])
    if verdict["score"] >= _LEAST_SCORE:
        return None
    found = verdict["feedback"].get("warning") or ""
    reason = (
        _NAME
        if any(w in password.lower() for w in words)
        else (found.rstrip(".") + "." if found else "It would be easy to guess.")
    )
    return f"Choose a password that is harder to guess. {reason} {ADVICE}"
