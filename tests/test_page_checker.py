"""The page checker every test client runs fails on what a person would trip on: here, a
program's word for "nothing" shown as text (it once printed "null" on the Sync status page)."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from .conftest import check_page

PAGE = "<!doctype html><title>T</title><h1>Sync status</h1>{}"


@pytest.mark.parametrize("shown", ["<p>Last sent null</p>", "<p>undefined</p>", "<dd>NaN</dd>"])
def test_a_stray_null_in_the_text_fails(shown: str) -> None:
    with pytest.raises(AssertionError, match="page shows"):
        check_page(Response(PAGE.format(shown), mimetype="text/html"))  # type: ignore[arg-type]


def test_the_words_in_scripts_and_ordinary_words_pass() -> None:
    fine = (
        "<script>let x = null;</script><template><p>undefined</p></template>"
        "<p>Nullable, annulled</p>"
    )
    check_page(Response(PAGE.format(fine), mimetype="text/html"))  # type: ignore[arg-type]
