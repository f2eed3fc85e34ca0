/**
 * Build the offline pages' elements. Text always goes in as text, never as HTML, so nothing a
 * person typed can become markup.
 */

/** Make an element: h("a", {href: "/"}, "Home", h("span", {}, "!")). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  return element;
}

/** A definition list of (label, value) rows, as NHS.UK summary lists look. */
export function summaryList(rows) {
  return h("dl", { class: "nhsuk-summary-list" }, rows.map(([key, value]) =>
    h("div", { class: "nhsuk-summary-list__row" },
      h("dt", { class: "nhsuk-summary-list__key" }, key),
      h("dd", { class: "nhsuk-summary-list__value" }, value ?? ""))));
}

/** Text with each phone number in it made a tel: link, as the server's `phone_links` filter
 * does (pwa/filters.py, the same pattern): nodes to put inside an element. */
export function withPhoneLinks(text) {
  if (!text) return [];
  const parts = [];
  let last = 0;
  for (const found of text.matchAll(/\+?\d[\d ()-]{7,}\d/g)) {
    const number = found[0].replace(/[^\d+]/g, "");
    const digits = number.replace(/\D/g, "").length;
    if (digits < 10 || digits > 13) continue;
    parts.push(text.slice(last, found.index), h("a", { href: `tel:${number}` }, found[0]));
    last = found.index + found[0].length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== "");
}

/** A tag showing a record's sync status, or nothing once the server has it. */
export function statusTag(status) {
  if (!status || status === "sent") return null;
  if (status === "left") return h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "No longer on your caseload");
  const colour = status === "needs attention" ? "nhsuk-tag--red" : "nhsuk-tag--yellow";
  const text = status === "needs attention" ? "Needs attention" : "Waiting to send";
  return h("strong", { class: `nhsuk-tag ${colour}` }, text);
}

/** Format an ISO date (or date and time) for a person in the UK. */
export function formatDate(iso, { time = false } = {}) {
  if (!iso) return "";
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const value = dateOnly ? new Date(`${iso}T00:00:00Z`) : new Date(iso);
  if (Number.isNaN(value.getTime())) return "";
  // As the server's `date` and `datetime` filters write them (pwa/filters.py), in the
  // practice's time zone as they do: 3 March 2026, and 3 March 2026 at 2:30pm. A date alone is
  // a calendar day, the same wherever the phone is.
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: dateOnly ? "UTC" : practiceZone, day: "numeric", month: "long", year: "numeric",
    hour: "numeric", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(value).map(({ type, value: part }) => [type, part]));
  const day = `${parts.day} ${parts.month} ${parts.year}`;
  if (!time) return day;
  const hours = Number(parts.hour);
  return `${day} at ${hours % 12 || 12}:${parts.minute}${hours < 12 ? "am" : "pm"}`;
}

let practiceZone; // undefined: the phone's own, until the shell says the practice's

/** Write dates and times in the practice's time zone, as its pages do (the shell says which). */
export function usePracticeTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    practiceZone = zone;
  } catch {
    practiceZone = undefined; // a zone this browser does not know: its own
  }
}

/** A vocabulary's choices as [code, name] pairs, in the order the server's forms list them. */
export function choices(vocabulary, name) {
  const names = vocabulary[name];
  return (vocabulary.choice_order?.[name] ?? Object.keys(names)).map((code) => [code, names[code]]);
}

/** An NHS number as people write it: 943 476 5919. */
export function formatNhsNumber(number) {
  return /^\d{10}$/.test(number ?? "") ? `${number.slice(0, 3)} ${number.slice(3, 6)} ${number.slice(6)}`
    : (number ?? "");
}

/** Return a local date and time as ISO 8601 with its UTC offset, as the sync API asks. */
export function localIso(date) {
  const pad = (n) => String(n).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** Set the page's heading text and title together, as the server's pages do. */
export function titled(text) {
  document.title = `${text} – Link worker`;
  return h("h1", {}, text);
}
