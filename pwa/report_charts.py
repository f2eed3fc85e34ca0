"""Bar and line charts for the outcomes report, drawn as SVG on the server.

Pure Python, no Flask. Each chart is an image with a name (`role="img"`, `aria-label` and a
`<title>` saying what it shows in a sentence); the page puts the same numbers in a table beside
it, which is what a screen reader reads. Series are told apart by the dash of the line and the
words beside it, never by colour alone. Sizes are the drawing's own units: CSS scales the whole
to the page, so a chart reads on a 320 px phone as on a desk.

A chart library (pygal, say) would draw these, but with inline styles and script that the
app's Content-Security-Policy refuses, and without the table-beside-the-chart that makes them
accessible; two small functions in the style of `pwa/charts.py` are less to trust.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from .charts import format_value

WIDTH = 320
ROW = 34  # one bar: its label, then the bar
BAR = 14
LABEL_ROOM = 52  # room after the longest bar for its number
LINE_HEIGHT = 180
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 28
# Up to four series, each with its own dash, so they differ without colour.
DASHES = ("", "6 4", "2 3", "10 3 2 3")


def _svg_open(height: int, summary: str) -> Markup:
    return Markup(
        '<svg class="app-chart app-chart--report" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
    ).format(WIDTH, height, summary, summary)


def _length(value: float, most: float, room: int) -> int:
    """A bar's length in whole units: 0 for 0, at least 2 for anything more, `room` for `most`."""
    if value <= 0 or most <= 0:
        return 0
    return max(2, round(value / most * room))


def bar_chart(bars: Sequence[tuple[str, float]], *, summary: str) -> Markup:
    """Horizontal bars, one per (label, value), each labelled above and numbered at its end.

    Nothing to draw (no bars) draws nothing: the page says there is nothing instead.
    """
    if not bars:
        return Markup("")
    most = max(value for _, value in bars)
    room = WIDTH - LABEL_ROOM
    text = Markup('<text class="app-chart__label" x="{}" y="{}">{}</text>')
    parts = [_svg_open(ROW * len(bars) + 4, summary)]
    for i, (label, value) in enumerate(bars):
        top = i * ROW
        length = _length(value, most, room)
        parts.append(text.format(0, top + 12, label))
        parts.append(
            Markup('<rect class="app-chart__bar" x="0" y="{}" width="{}" height="{}"/>').format(
                top + 16, length, BAR
            )
        )
        parts.append(text.format(length + 6, top + 16 + BAR - 2, format_value(value)))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _y(value: float, most: float) -> int:
    plot = LINE_HEIGHT - TOP - BOTTOM
    return TOP + plot - (round(value / most * plot) if most > 0 else 0)


def lines_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, summary: str
) -> Markup:
    """Lines over the same points in time, from 0 up to the highest value of any series.

    `labels` names each point (the first and last are written under the chart); each series
    is (its name, one value per point). The names are written above the chart, each beside a
    sample of its line's dash.
    """
    series = [(name, values) for name, values in series[: len(DASHES)] if values]
    if not labels or not series:
        return Markup("")
    most = max(max(values) for _, values in series) or 1
    legend = 18 * len(series)
    height = legend + LINE_HEIGHT
    plot = WIDTH - LEFT - RIGHT
    step = plot / (len(labels) - 1) if len(labels) > 1 else 0

    def x(i: int) -> int:
        return LEFT + (round(i * step) if len(labels) > 1 else plot // 2)

    text = Markup('<text class="app-chart__label" x="{}" y="{}" text-anchor="{}">{}</text>')
    scale = Markup('<line class="app-chart__scale" x1="{}" y1="{}" x2="{}" y2="{}"/>')
    parts = [_svg_open(height, summary)]
    for i, (name, _) in enumerate(series):
        y = 12 + 18 * i
        parts.append(
            Markup(
                '<line class="app-chart__line" x1="0" y1="{}" x2="28" y2="{}" '
                'stroke-dasharray="{}"/>'
            ).format(y - 4, y - 4, DASHES[i] or "none")
        )
        parts.append(text.format(36, y, "start", name))
    base = legend
    bottom = base + _y(0, most)
    parts += [
        scale.format(LEFT, base + TOP, LEFT + plot, base + TOP),
        scale.format(LEFT, bottom, LEFT + plot, bottom),
        text.format(LEFT - 6, base + TOP + 5, "end", format_value(most)),
        text.format(LEFT - 6, bottom + 5, "end", 0),
        text.format(LEFT, height - 8, "start" if len(labels) > 1 else "middle", labels[0]),
    ]
    if len(labels) > 1:
        parts.append(text.format(LEFT + plot, height - 8, "end", labels[-1]))
    for i, (_, values) in enumerate(series):
        points = " ".join(f"{x(n)},{base + _y(v, most)}" for n, v in enumerate(values))
        parts.append(
            Markup('<polyline class="app-chart__line" points="{}" stroke-dasharray="{}"/>').format(
                points, DASHES[i] or "none"
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
