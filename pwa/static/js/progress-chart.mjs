/**
 * Draw a patient's scores over time from the phone's store, as the server draws them
 * (pwa/charts.py and pwa/progress.py). The geometry is the same whole-number arithmetic with
 * the same rounding, so a chart offline puts its points where the server's page puts them.
 * What is tracked, and the patient's words for it, come with the app shell (`tracked`).
 */
import { formatDate, h } from "./dom.mjs";

// The drawing's own units, as in pwa/charts.py.
const WIDTH = 320, HEIGHT = 160;
const LEFT = 40, RIGHT = 16, TOP = 16, BOTTOM = 32;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT, PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;
const SVG = "http://www.w3.org/2000/svg";

/** Return an ISO date or moment as whole seconds since 1970 (a bare date is UTC midnight). */
export function secondsSinceEpoch(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}

// offset / span * length rounded half up; every operand a whole number well inside 2^53.
const scaled = (offset, span, length) => Math.floor((2 * offset * length + span) / (2 * span));

/** Return where each [iso, value] point goes, oldest first, as `charts.chart_points` does. */
export function chartPoints(points, low, high) {
  const timed = points.map(([iso, value]) => [secondsSinceEpoch(iso), value])
    .sort((a, b) => a[0] - b[0]);
  if (!timed.length) return [];
  const first = timed[0][0], span = timed[timed.length - 1][0] - first;
  const top = high * 100, bottom = low * 100;
  return timed.map(([seconds, value]) => {
    const x = LEFT + (span ? scaled(seconds - first, span, PLOT_WIDTH) : Math.floor(PLOT_WIDTH / 2));
    const hundredths = Math.min(top, Math.max(bottom, Math.round(value * 100)));
    return [x, TOP + scaled(top - hundredths, top - bottom, PLOT_HEIGHT)];
  });
}

/** Show a score as people write it: 7, 20.73 (never 7.0). */
export function formatValue(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Say the latest value against the one before, and whether that is the better way. */
export function trendWords(values, higherIsBetter) {
  const latest = formatValue(values[values.length - 1]);
  if (values.length === 1) return [`${latest} at your first check-in.`, false];
  const previous = values[values.length - 2];
  if (values[values.length - 1] === previous) return [`${latest}, the same as last time.`, false];
  const higher = values[values.length - 1] > previous;
  return [`${latest}, ${higher ? "higher" : "lower"} than last time (${formatValue(previous)}).`,
          higher === higherIsBetter];
}

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** An SVG line chart of [iso, value] points, named by `summary`, as `charts.line_chart` draws. */
export function lineChart(points, { low, high, summary, dateLabel = formatDate }) {
  const placed = chartPoints(points, low, high);
  if (!placed.length) return null;
  const ordered = [...points].sort((a, b) => secondsSinceEpoch(a[0]) - secondsSinceEpoch(b[0]));
  const first = dateLabel(ordered[0][0]), last = dateLabel(ordered[ordered.length - 1][0]);
  const bottom = TOP + PLOT_HEIGHT, right = LEFT + PLOT_WIDTH, labelY = HEIGHT - 8;
  const line = (y) => svg("line", { class: "app-chart__scale", x1: LEFT, y1: y, x2: right, y2: y });
  const text = (x, y, anchor, words) =>
    svg("text", { class: "app-chart__label", x, y, "text-anchor": anchor }, words);
  return svg("svg", { class: "app-chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
                      "aria-label": summary },
    svg("title", {}, summary), line(TOP), line(bottom),
    text(LEFT - 6, TOP + 5, "end", String(high)), text(LEFT - 6, bottom + 5, "end", String(low)),
    svg("polyline", { class: "app-chart__line", points: placed.map(([x, y]) => `${x},${y}`).join(" ") }),
    ...placed.map(([x, y], i) =>
      svg("circle", { class: "app-chart__dot", cx: x, cy: y, r: i === placed.length - 1 ? 6 : 4 })),
    ...(first === last ? [text(LEFT + Math.floor(PLOT_WIDTH / 2), labelY, "middle", first)]
      : [text(LEFT, labelY, "start", first), text(right, labelY, "end", last)]));
}

/** Return one number from a check-in's scores, or null if the measure was not taken. */
export function scoreValue(scores, measure, field) {
  const value = scores?.[measure]?.[field];
  if (value === undefined || value === null) return null;
  return typeof value === "object" ? value.value : value;
}

const capitalised = (words) => words.charAt(0).toUpperCase() + words.slice(1);

/**
 * A section per tracked score the check-ins hold, as the server's My progress page has them.
 * `checkIns` are {id, captured_at, scores}; ties in time are ordered by id, as on the server.
 */
export function progressCharts(checkIns, tracked) {
  const ordered = [...checkIns].sort((a, b) =>
    (secondsSinceEpoch(a.captured_at) - secondsSinceEpoch(b.captured_at)) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sections = [];
  for (const t of tracked) {
    const points = ordered.map((c) => [c.captured_at, scoreValue(c.scores, t.measure, t.field)])
      .filter(([, value]) => value !== null);
    if (!points.length) continue;
    const [trend, better] = trendWords(points.map(([, value]) => value), t.higher_is_better);
    const first = formatDate(points[0][0]), last = formatDate(points[points.length - 1][0]);
    const span = points.length === 1 ? `on ${first}` : `from ${first} to ${last}`;
    const count = points.length === 1 ? "1 check-in" : `${points.length} check-ins`;
    const summary = `${t.label} (${t.scale}), ${count} ${span}: ${trend}`;
    const id = `progress-${sections.length + 1}`;
    sections.push(h("section", { class: "app-progress", "aria-labelledby": id },
      h("h3", { id }, t.label),
      h("p", { class: "nhsuk-hint" }, capitalised(t.scale)),
      h("p", { class: "app-trend" }, trend, better ? " " : null,
        better ? h("strong", { class: "nhsuk-tag nhsuk-tag--green" }, "\u2713 Better") : null),
      lineChart(points, { low: t.low, high: t.high, summary }),
      h("details", { class: "nhsuk-details" },
        h("summary", { class: "nhsuk-details__summary" },
          h("span", { class: "nhsuk-details__summary-text" }, "Show the numbers")),
        h("div", { class: "nhsuk-details__text" },
          h("table", { class: "nhsuk-table" },
            h("caption", { class: "nhsuk-table__caption nhsuk-u-visually-hidden" }, t.label),
            h("thead", { class: "nhsuk-table__head" },
              h("tr", {}, h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, "Score"))),
            h("tbody", { class: "nhsuk-table__body" }, points.map(([iso, value]) =>
              h("tr", {}, h("td", {}, formatDate(iso)), h("td", {}, formatValue(value))))))))));
  }
  return sections;
}
