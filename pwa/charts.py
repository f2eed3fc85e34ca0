"""Draw a score over time as a small SVG line chart, for pages that need no chart library.

Pure Python with no Flask. The phone draws the same chart offline (static/js/progress-chart.mjs):
every coordinate is computed in whole numbers, with the same rounding, so the two give the
same points for the same check-ins, whatever the dates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup

# The drawing's own units; CSS scales it to the width of the page.
WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 16, 32
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

When = date | datetime


def seconds_since_epoch(when: When) -> int:
    """Return a moment as whole seconds since 1970 (a date is its midnight in UTC, as in JS)."""
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // timedelta(seconds=1)


def _scaled(offset: int, span: int, length: int) -> int:
    """Return offset / span * length rounded half up, in integers so that JavaScript agrees."""
    return (2 * offset * length + span) // (2 * span)


def chart_points(
    points: Sequence[tuple[When, float]], low: int, high: int
) -> list[tuple[int, int]]:
    """Return where each point goes, oldest first: x by time, y by value on the low-high scale.

    One point, or several at the same moment, sit in the middle; a value outside the scale
    (a stored score no measure gives) is drawn at the scale's edge.
    """
    timed = sorted(
        ((seconds_since_epoch(when), value) for when, value in points), key=lambda point: point[0]
    )
    if not timed:
        return []
    first, span = timed[0][0], timed[-1][0] - timed[0][0]
    top, bottom = high * 100, low * 100
    placed = []
    for seconds, value in timed:
        x = LEFT + (_scaled(seconds - first, span, PLOT_WIDTH) if span else PLOT_WIDTH // 2)
        hundredths = min(top, max(bottom, round(value * 100)))
        placed.append((x, TOP + _scaled(top - hundredths, top - bottom, PLOT_HEIGHT)))
    return placed


def format_value(value: float) -> str:
    """Show a score as people write it: 7, 20.73 (never 7.0)."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def line_chart(
    points: Sequence[tuple[When, float]],
    *,
    low: int,
    high: int,
    summary: str,
    date_label: Callable[[When], str],
) -> Markup:
    """Return an SVG line chart of the points, named by `summary` for screen readers.

    No points draw nothing. The scale's ends are labelled; each check-in is a dot, the latest a
    larger one, so the chart reads without colour.
    """
    placed = chart_points(points, low, high)
    if not placed:
        return Markup("")
    ordered = sorted(points, key=lambda point: seconds_since_epoch(point[0]))
    first, last = date_label(ordered[0][0]), date_label(ordered[-1][0])
    bottom, right, label_y = TOP + PLOT_HEIGHT, LEFT + PLOT_WIDTH, HEIGHT - 8
    # Markup.format escapes every value it is given: the summary and dates go in as text.
    line = Markup('<line class="app-chart__scale" x1="{}" y1="{}" x2="{}" y2="{}"/>')
    text = Markup('<text class="app-chart__label" x="{}" y="{}" text-anchor="{}">{}</text>')
    dot = Markup('<circle class="app-chart__dot" cx="{}" cy="{}" r="{}"/>')
    parts = [
        Markup(
            '<svg class="app-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        ).format(WIDTH, HEIGHT, summary, summary),
        line.format(LEFT, TOP, right, TOP),
        line.format(LEFT, bottom, right, bottom),
        text.format(LEFT - 6, TOP + 5, "end", high),
        text.format(LEFT - 6, bottom + 5, "end", low),
        Markup('<polyline class="app-chart__line" points="{}"/>').format(
            " ".join(f"{x},{y}" for x, y in placed)
        ),
        *(dot.format(x, y, 4) for x, y in placed[:-1]),
        dot.format(*placed[-1], 6),
    ]
    if first == last:
        parts.append(text.format(LEFT + PLOT_WIDTH // 2, label_y, "middle", first))
    else:
        parts.append(text.format(LEFT, label_y, "start", first))
        parts.append(text.format(right, label_y, "end", last))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
