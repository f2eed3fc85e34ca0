"""Phone numbers in free text are tel: links a phone can call, online (pwa/filters.py) and
offline (static/js/dom.mjs), the same numbers found by both; everything else stays text."""

from __future__ import annotations

from typing import Any

import pytest

from pwa.filters import phone_links

from .test_browser import pytestmark as browser_marks


def browser_test(test: Any) -> Any:
    for mark in browser_marks:
        test = mark(test)
    return test


CASES = [
    ("0113 496 0001", '<a href="tel:01134960001">0113 496 0001</a>'),
    ("Call +44 (0)113 496 0001, Mondays", 'Call <a href="tel:+4401134960001">+44 (0)113 496 0001'
                                           "</a>, Mondays"),
    ("Ring 0800 123 4567 or 07700 900123", 'Ring <a href="tel:08001234567">0800 123 4567</a> or '
                                           '<a href="tel:07700900123">07700 900123</a>'),
    ("hello@example.org", "hello@example.org"),
    ("Room 12, 2-4pm", "Room 12, 2-4pm"),  # too few digits to be a number
    ("1234567890123456", "1234567890123456"),  # too many
    ('<b onmouseover="x">0113 496 0001</b>',
     '&lt;b onmouseover=&#34;x&#34;&gt;<a href="tel:01134960001">0113 496 0001</a>&lt;/b&gt;'),
    ("", ""),
]  # fmt: skip


@pytest.mark.parametrize(("text", "html"), CASES)
def test_the_server_links_each_number_and_escapes_the_rest(text: str, html: str) -> None:
    assert str(phone_links(text)) == html


@browser_test
def test_the_phone_finds_the_same_numbers(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/offline")
    found = page.evaluate(
        """async (texts) => {
          const base = document.querySelector('meta[name=app-static]').content;
          const dom = await import(base + 'js/dom.mjs');
          return texts.map((text) => {
            const holder = document.createElement('div');
            holder.append(...dom.withPhoneLinks(text));
            return holder.innerHTML;
          });
        }""",
        [text for text, _ in CASES],
    )
    # The browser writes quotes in text as they are, where the server escapes them.
    assert found == [html.replace("&#34;", '"') for _, html in CASES]
