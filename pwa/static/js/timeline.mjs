/**
 * A patient's timeline on the phone: the lines of pwa/timeline.py, drawn from what the phone
 * holds, in the same words and order, as the same markup (templates/patients/show.html). A
 * Chromium test compares the two pages line for line.
 */
import { formatDate, h, statusTag } from "./dom.mjs";
import { scoresOf } from "./measures.mjs";

/** A check-in's headline scores, as pwa/timeline.py `score_words` says them. */
export function scoreWords(scores) {
  const parts = [];
  if (scores.swemwbs) parts.push(`SWEMWBS ${scores.swemwbs.metric.toFixed(2)}`);
  if (scores.ons4) {
    parts.push(`Life satisfaction ${scores.ons4.life_satisfaction.value}, ` +
               `anxiety ${scores.ons4.anxiety.value}`);
  }
  if (scores.ucla3) parts.push(`UCLA-3 ${scores.ucla3.total}${scores.ucla3.lonely ? " (lonely)" : ""}`);
  return parts.join(". ");
}

const joined = (...parts) => parts.filter(Boolean).join(" – ");

/** Every record of one patient as a line, newest first (a booked follow-up to come on top). */
export function timelineLines(records, { vocabulary, assets, now = new Date() }) {
  const of = (type) => records.filter((r) => r.type === type);
  const line = (record, at, what, detail = "", tag = "", tagColour = "") =>
    ({ at, what, detail, tag, tagColour, status: record.status });
  const lines = [
    ...of("contact").map((c) => line(c, c.data.happened_at,
      vocabulary.contact_kinds[c.data.kind] ?? c.data.kind, c.data.note)),
    ...of("checkin").map((c) => {
      // The server's scores once it has them; until then the phone's, by the same rules.
      const scores = scoresOf(c, vocabulary.measure_rules);
      return line(c, c.data.captured_at, c.data.source === "self" ? "Self check-in" : "Check-in",
                  scores ? scoreWords(scores) : "");
    }),
    ...of("followup").map((f) => {
      const kind = vocabulary.follow_up_kinds[f.data.kind] ?? f.data.kind;
      if (f.data.done_at) {
        return line(f, f.data.done_at, `${kind} done`,
                    joined(vocabulary.follow_up_outcomes[f.data.outcome] ?? "", f.data.note));
      }
      const overdue = new Date(f.data.due_at) < now;
      return line(f, f.data.due_at, `${kind} booked`, f.data.note,
                  overdue ? "Overdue" : "", overdue ? "red" : "");
    }),
    ...of("referral").map((r) => line(r, r.data.created_at,
      `Referral: ${assets[r.data.asset_id]?.data.name ?? "A community group"}`, r.data.note,
      vocabulary.referral_statuses[r.data.status] ?? r.data.status,
      vocabulary.referral_tag_colours[r.data.status] ?? "")),
  ];
  // Stable, as Python's sorted(): lines at the same moment keep the order above. A referral
  // from before the phone was told when it was made goes last.
  const time = (l) => (l.at ? new Date(l.at).getTime() : -Infinity);
  return lines.sort((a, b) => time(b) - time(a));
}

/** The timeline as the record page's list (the server's markup, class for class). */
export function timelineList(lines) {
  if (!lines.length) return h("p", {}, "Nothing yet.");
  return h("ul", { class: "nhsuk-list app-timeline" }, lines.map((l) =>
    h("li", { class: "app-timeline__line" },
      h("span", { class: "nhsuk-body-s app-timeline__when" }, formatDate(l.at, { time: true })),
      h("strong", {}, l.what),
      l.tag ? [" ", h("strong", { class: `nhsuk-tag${l.tagColour ? ` nhsuk-tag--${l.tagColour}` : ""}` }, l.tag)]
        : null,
      l.detail ? ` – ${l.detail}` : null,
      statusTag(l.status) ? [" ", statusTag(l.status)] : null)));
}
