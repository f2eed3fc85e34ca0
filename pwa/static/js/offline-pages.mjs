/**
 * The offline pages that show records: caseload, patient record, directory and one asset,
 * drawn from what this phone holds. Each returns the elements for the page's main area.
 */
import { choices, formatDate, formatNhsNumber, h, localIso, statusTag, summaryList, titled, withPhoneLinks }
  from "./dom.mjs";
import { getRecord, recordsForPatient, recordsOfType, saveRecord } from "./local-store.mjs";
import { dueState, keeps, readFilter } from "./caseload-filter.mjs";
import { helpReasons, servedThresholds } from "./help.mjs";
import { scoresOf } from "./measures.mjs";
import { formatValue, progressCharts, scoreValue } from "./progress-chart.mjs";
import { syncAfterSave } from "./sync-scheduler.mjs";
import { timelineLines, timelineList } from "./timeline.mjs";

const byName = (a, b) => (a.data.family_name + a.data.given_name)
  .localeCompare(b.data.family_name + b.data.given_name);
const fullName = (patient) => `${patient.data.given_name} ${patient.data.family_name}`;
const button = (href, text, secondary = false) =>
  h("a", { href, class: `nhsuk-button${secondary ? " nhsuk-button--secondary" : ""}` }, text);

/** Return the patient records on this phone that are on the person's active caseload. */
export async function caseloadOf(user) {
  const patients = await recordsOfType("patient");
  return patients.filter((p) => p.data.status === "active" && p.data.link_worker_id === user.id &&
                                p.status !== "left")
    .sort(byName);
}

/** The caseload, from this phone: the server's page (templates/caseload.html) drawn from the
 * store, with the same search, filters and sort, applied as the worker types. */
export async function caseloadPage({ user, vocabulary }) {
  const patients = await caseloadOf(user);
  const followUps = (await recordsOfType("followup")).filter((f) => !f.data.done_at);
  const checkIns = await recordsOfType("checkin");
  const nextOf = (p) => followUps.filter((f) => f.data.patient_id === p.id)
    .sort((a, b) => new Date(a.data.due_at) - new Date(b.data.due_at))[0];
  const latestOf = (p) => checkIns.filter((c) => c.data.patient_id === p.id)
    .sort((a, b) => new Date(b.data.captured_at) - new Date(a.data.captured_at))[0];
  // As pwa/looks.py: a patient's own check-in that crossed a help threshold, not yet seen.
  const thresholds = servedThresholds();
  const toLookAt = new Set(checkIns.filter((c) => c.data.source === "self" && !c.data.seen &&
      thresholds && helpReasons(scoresOf(c, vocabulary.measure_rules) ?? {}, thresholds).length)
    .map((c) => c.data.patient_id));
  const known = { needs: vocabulary.needs, dueChoices: vocabulary.due_choices,
                  orderChoices: vocabulary.order_choices };
  const filter = readFilter(new URLSearchParams(location.search), known);
  const list = h("div", {});

  const card = (p) => {
    const next = nextOf(p);
    const latest = latestOf(p);
    const overdue = next && dueState(next.data.due_at, new Date()) === "overdue";
    return h("li", { class: "nhsuk-card nhsuk-card--clickable" }, h("div", { class: "nhsuk-card__content" },
      h("h2", { class: "nhsuk-card__heading nhsuk-heading-s" },
        h("a", { class: "nhsuk-card__link", href: `/patients/${p.id}` }, fullName(p))),
      toLookAt.has(p.id) ? h("p", { class: "nhsuk-u-margin-bottom-1" },
        h("strong", { class: "nhsuk-tag nhsuk-tag--red" }, "Check-in to look at")) : null,
      statusTag(p.status) ? h("p", { class: "nhsuk-u-margin-bottom-1" }, statusTag(p.status)) : null,
      h("p", { class: "nhsuk-body-s nhsuk-u-margin-bottom-1" },
        (p.data.needs || []).map((n) => vocabulary.needs[n] ?? n).join(", ")),
      h("p", { class: "nhsuk-body-s nhsuk-u-margin-bottom-1" }, "Next: ",
        next ? [`${vocabulary.follow_up_kinds[next.data.kind] ?? next.data.kind} `,
                formatDate(next.data.due_at, { time: true }),
                overdue ? [" ", h("strong", { class: "nhsuk-tag nhsuk-tag--red" }, "Overdue")] : null]
          : "nothing booked"),
      h("p", { class: "nhsuk-body-s nhsuk-u-margin-bottom-0" }, "Latest check-in: ",
        latest ? latestWords(latest, vocabulary) : "none yet")));
  };

  const draw = () => {
    const now = new Date();
    let shown = patients.filter((p) => keeps(filter, {
      fullName: fullName(p), nhsNumber: p.data.nhs_number, needs: p.data.needs,
      nextDue: nextOf(p)?.data.due_at, now }));
    if (filter.order === "next") {
      const at = (p) => (nextOf(p) ? new Date(nextOf(p).data.due_at).getTime() : Infinity);
      shown = [...shown].sort((a, b) => at(a) - at(b));
    }
    const narrows = Boolean(filter.text.trim() || filter.need || filter.due);
    const count = `${narrows ? `${shown.length} of ${patients.length}` : shown.length} active ` +
      (patients.length === 1 ? "patient" : "patients");
    list.replaceChildren(...(
      !shown.length && narrows ? [h("p", {}, "No active patients match. ",
                                   h("a", { href: "/caseload" }, "Show everyone"))]
        : !shown.length ? [h("p", {}, "No active patients yet.")]
          : [h("p", { "aria-live": "polite" }, count), h("ul", { class: "nhsuk-list" }, shown.map(card))]));
  };

  const update = (event) => {
    const field = event.target;
    if (!field.name) return;
    filter[{ q: "text" }[field.name] ?? field.name] = field.value;
    const params = new URLSearchParams(location.search);
    if (field.value) params.set(field.name, field.value); else params.delete(field.name);
    history.replaceState(history.state, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
    draw();
  };
  const select = (name, label, options, chosen) => h("div", { class: "nhsuk-form-group" },
    h("label", { class: "nhsuk-label", for: name }, label),
    h("select", { class: "nhsuk-select", id: name, name },
      options.map(([value, text]) => h("option", { value, selected: value === chosen }, text))));
  const form = h("form", { method: "get", class: "nhsuk-u-margin-bottom-4 app-caseload-filter",
                           role: "search", "aria-label": "Find patients",
                           oninput: update, onchange: update,
                           onsubmit: (event) => { event.preventDefault(); draw(); } },
    h("div", { class: "nhsuk-form-group" },
      h("label", { class: "nhsuk-label", for: "q" }, "Find by name or NHS number"),
      h("input", { class: "nhsuk-input", id: "q", name: "q", type: "search", value: filter.text,
                   autocomplete: "off", spellcheck: "false" })),
    h("details", { class: "nhsuk-details", open: Boolean(filter.need || filter.due || filter.order !== "name") },
      h("summary", { class: "nhsuk-details__summary" },
        h("span", { class: "nhsuk-details__summary-text" }, "Filter and sort")),
      h("div", { class: "nhsuk-details__text" },
        select("need", "Need", [["", "Any need"], ...choices(vocabulary, "needs")], filter.need),
        select("due", "Next contact", [["", "Any time"], ...choices(vocabulary, "due_choices")], filter.due),
        select("order", "Sort by", choices(vocabulary, "order_choices"), filter.order))),
    h("button", { class: "nhsuk-button nhsuk-button--secondary", type: "submit" }, "Show"));
  draw();
  return [
    titled("Your caseload"),
    h("p", {}, "You are offline. This is what this phone holds from your last sync."),
    h("p", {}, button("/patients/new", "Add a patient")),
    form,
    list,
  ];
}

/** A check-in's date and headline scores, as the caseload's card shows them. */
function latestWords(checkIn, vocabulary) {
  const scores = scoresOf(checkIn, vocabulary.measure_rules);
  const parts = [formatDate(checkIn.data.captured_at)];
  if (scores?.swemwbs) parts.push(`SWEMWBS ${scores.swemwbs.metric.toFixed(2)}`);
  if (scores?.ons4) parts.push(`Life satisfaction ${scores.ons4.life_satisfaction.value}/10`);
  if (scores?.ucla3) parts.push(`UCLA-3 ${scores.ucla3.total}${scores.ucla3.lonely ? " (lonely)" : ""}`);
  return parts.join(" · ");
}

/** Whether "Mark as done" is offered: from a day before it is due (casework.may_mark_done). */
function mayMarkDone(followUp, vocabulary, now = new Date()) {
  const early = vocabulary.done_early_hours * 3600 * 1000;
  return !followUp.data.done_at && new Date(followUp.data.due_at).getTime() <= now.getTime() + early;
}

const dueTag = (followUp) => (new Date(followUp.data.due_at) < new Date()
  ? [h("strong", { class: "nhsuk-tag nhsuk-tag--red" }, "Overdue"), " "] : null);

/** "Mark as done" with how it went (optional), as the record page online has it. */
function doneForm(followUp, vocabulary, rerender) {
  const id = `outcome-${followUp.id}`;
  const outcome = h("select", { class: "nhsuk-select app-done-form__outcome", id, name: "outcome" },
    [["", "Not said"], ...choices(vocabulary, "follow_up_outcomes")].map(([value, text]) =>
      h("option", { value }, text)));
  return h("div", { class: "app-done-form" },
    h("label", { class: "nhsuk-label nhsuk-u-font-size-16", for: id }, "How did it go? (optional)"),
    outcome,
    h("button", { type: "button", onclick: () => markDone(followUp, outcome.value || null, rerender),
                  class: "nhsuk-button nhsuk-button--secondary nhsuk-button--small" }, "Mark as done"));
}

async function markDone(followUp, outcome, rerender) {
  try {
    await saveRecord("followup", followUp.id, { ...followUp.data, done_at: localIso(new Date()),
                                                outcome });
  } catch (error) {
    alert(error.message); // in flight: try again once it has been sent
    return;
  }
  syncAfterSave();
  rerender();
}

/** One patient's record, from this phone. */
export async function recordPage({ user, vocabulary, rerender }, patientId) {
  const patient = await getRecord(patientId);
  if (!patient || patient.type !== "patient") {
    return [titled("Not on this phone"),
            h("p", {}, "This patient's record is not on this phone. It may have left your caseload."),
            h("p", {}, h("a", { href: "/caseload" }, "Back to your caseload"))];
  }
  const related = await recordsForPatient(patientId);
  const ofType = (type) => related.filter((r) => r.type === type);
  const assets = Object.fromEntries((await recordsOfType("asset")).map((a) => [a.id, a]));
  const d = patient.data;
  const active = d.status === "active" && d.link_worker_id === user.id && patient.status !== "left";
  return [
    h("span", { class: "nhsuk-caption-l" }, "Patient"), titled(fullName(patient)),
    statusTag(patient.status),
    active ? h("p", {}, button(`/patients/${patientId}/contacts/new`, "Log a contact"), " ",
               button(`/patients/${patientId}/check-ins/new`, "Record a check-in", true), " ",
               button(`/patients/${patientId}/follow-ups/new`, "Book a follow-up", true), " ",
               button(`/assets?patient=${patientId}`, "Find a community group", true)) : null,
    h("h2", {}, "Details"),
    summaryList([
      ["Date of birth", formatDate(d.date_of_birth)], ["NHS number", formatNhsNumber(d.nhs_number) || "Not recorded"],
      ["Phone", d.phone ? withPhoneLinks(d.phone) : "Not recorded"], ["Postcode", d.postcode || "Not recorded"],
      ["Why referred", d.referral_reason],
      ["Needs", (d.needs || []).map((n) => vocabulary.needs[n]).join(", ") || "None recorded"],
      ["Agreed to be contacted", d.consent_to_contact ? "Yes" : "No"]]),
    h("h2", { id: "timeline" }, "What has happened"),
    timelineList(timelineLines(related, { vocabulary, assets })),
    h("h2", {}, "Follow-ups"),
    ofType("followup").length ? h("ul", { class: "nhsuk-list" }, ofType("followup")
      .sort((a, b) => a.data.due_at.localeCompare(b.data.due_at)).map((f) =>
        h("li", {}, h("strong", {}, vocabulary.follow_up_kinds[f.data.kind]), " ",
          formatDate(f.data.due_at, { time: true }), f.data.note ? ` – ${f.data.note}` : "", " ",
          f.data.done_at ? [h("strong", { class: "nhsuk-tag nhsuk-tag--green" }, "Done"),
                            f.data.outcome ? ` ${vocabulary.follow_up_outcomes[f.data.outcome] ?? ""}` : null]
            : !active ? null
              : mayMarkDone(f, vocabulary) ? [dueTag(f), doneForm(f, vocabulary, rerender)]
                : h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Booked"),
          " ", statusTag(f.status))))
      : h("p", {}, "No follow-ups booked."),
    h("h2", {}, "Referrals to community groups and services"),
    ofType("referral").length ? h("ul", { class: "nhsuk-list" }, ofType("referral").map((r) =>
      h("li", {}, h("a", { href: `/assets/${r.data.asset_id}` },
                    assets[r.data.asset_id]?.data.name ?? "A community asset"), ": ",
        h("strong", { class: "nhsuk-tag" }, vocabulary.referral_statuses[r.data.status]),
        r.data.note ? ` – ${r.data.note}` : "", " ", statusTag(r.status))))
      : h("p", {}, "Not referred anywhere yet."),
    active ? [h("h2", {}, "Discharge"),
              h("p", {}, `Discharging takes ${d.given_name} off the caseload. Their record is kept.`),
              h("p", {}, h("a", { class: "nhsuk-button nhsuk-button--warning",
                                  href: `/patients/${patientId}/discharge` },
                           `Discharge ${d.given_name} ${d.family_name}`))] : null,
  ];
}

/** The community directory, searched on this phone. */
export async function directoryPage({ vocabulary }) {
  const query = new URLSearchParams(location.search);
  const words = (query.get("q") || "").toLowerCase().split(/\s+/).filter(Boolean);
  const category = query.get("category") || "";
  const patient = query.get("patient");
  const found = (await recordsOfType("asset")).filter((a) => a.data.active)
    .filter((a) => !category || a.data.category === category)
    .filter((a) => words.every((w) => [a.data.name, a.data.description, a.data.postcode]
      .join(" ").toLowerCase().includes(w)))
    .sort((a, b) => a.data.name.localeCompare(b.data.name));
  const search = h("form", { method: "get", action: "/assets" },
    patient ? h("input", { type: "hidden", name: "patient", value: patient }) : null,
    h("div", { class: "nhsuk-form-group" },
      h("label", { class: "nhsuk-label", for: "q" }, "Search by name, what it does or postcode"),
      h("input", { class: "nhsuk-input", id: "q", name: "q", type: "search", value: query.get("q") || "" })),
    h("div", { class: "nhsuk-form-group" },
      h("label", { class: "nhsuk-label", for: "category" }, "Category"),
      h("select", { class: "nhsuk-select", id: "category", name: "category" },
        h("option", { value: "" }, "Any"),
        choices(vocabulary, "asset_categories").map(([code, name]) =>
          h("option", { value: code, selected: code === category }, name)))),
    h("button", { class: "nhsuk-button", type: "submit" }, "Search"));
  const suffix = patient ? `?patient=${patient}` : "";
  return [
    titled("Community directory"), search,
    found.length ? h("ul", { class: "nhsuk-list nhsuk-list--border" }, found.map((a) =>
      h("li", {}, h("a", { href: `/assets/${a.id}${suffix}` }, a.data.name), h("br"),
        h("span", { class: "nhsuk-body-s" }, vocabulary.asset_categories[a.data.category] ?? "",
          a.data.postcode ? ` · ${a.data.postcode}` : ""))))
      : h("p", {}, "Nothing on this phone matches."),
  ];
}

/** One community asset, with a way to refer a patient to it. */
export async function assetPage({ vocabulary }, assetId) {
  const asset = await getRecord(assetId);
  if (!asset || asset.type !== "asset") {
    return [titled("Not on this phone"), h("p", {}, h("a", { href: "/assets" }, "Back to the directory"))];
  }
  const patient = new URLSearchParams(location.search).get("patient");
  const a = asset.data;
  return [
    h("span", { class: "nhsuk-caption-l" }, vocabulary.asset_categories[a.category] ?? ""),
    titled(a.name), h("p", {}, a.description),
    summaryList([["Contact", withPhoneLinks(a.contact)], ["Address", [a.address, a.postcode].filter(Boolean).join(", ")],
                 ["Opening times", a.opening_times],
                 ["Details checked", a.checked_at ? formatDate(a.checked_at) : "Not yet"], ["Website", a.url]]),
    h("p", {}, button(`/assets/${assetId}/refer${patient ? `?patient=${patient}` : ""}`,
                      "Refer a patient")),
  ];
}

/** Return the patient record of the person using this phone, when they are a patient. */
export async function ownRecord() {
  return (await recordsOfType("patient"))[0];
}

/** Who the patient's link worker is, what is coming up, their groups: as the server's
 * templates/_progress.html `my_care` draws them, from what the phone holds. */
async function myCare(own, vocabulary) {
  const records = await recordsForPatient(own.id);
  const today = new Date();
  today.setHours(0, 0, 0, 0); // as progress.coming_up: due today or later, not done
  const upcoming = records.filter((r) => r.type === "followup" && !r.data.done_at &&
                                         new Date(r.data.due_at) >= today)
    .sort((a, b) => new Date(a.data.due_at) - new Date(b.data.due_at));
  const referrals = records.filter((r) => r.type === "referral");
  const assets = Object.fromEntries((await recordsOfType("asset")).map((a) => [a.id, a.data]));
  const group = (r) => {
    const asset = assets[r.data.asset_id] ?? { name: "A community group" };
    const rows = [["Contact", asset.contact], ["Address", asset.address], ["When", asset.opening_times]]
      .filter(([, value]) => value)
      .map(([label, value]) => [label, label === "Contact" ? withPhoneLinks(value) : value]);
    return h("li", { class: "nhsuk-card" }, h("div", { class: "nhsuk-card__content" },
      h("h3", { class: "nhsuk-card__heading nhsuk-heading-s" }, asset.name),
      h("p", { class: "nhsuk-u-margin-bottom-2" }, h("strong", { class: "nhsuk-tag" },
        vocabulary.patient_referral_statuses[r.data.status] ?? r.data.status)),
      asset.description ? h("p", { class: "nhsuk-body-s" }, asset.description) : null,
      summaryList(rows),
      asset.url ? h("p", { class: "nhsuk-body-s" }, h("a", { href: asset.url }, "Their website",
        h("span", { class: "nhsuk-u-visually-hidden" }, `: ${asset.name}`))) : null));
  };
  return [
    h("h2", {}, "Your link worker"),
    h("p", {}, `Your link worker is ${own.data.link_worker_name}. To get in touch with them, ` +
      "call the practice and ask for them."),
    h("p", {}, h("a", { href: "/about-link-workers" }, "What your link worker can help with")),
    h("h2", {}, "Coming up"),
    upcoming.length ? h("ul", { class: "nhsuk-list nhsuk-list--bullet app-coming-up" }, upcoming.map((f) =>
      h("li", {}, `${formatDate(f.data.due_at, { time: true })}: `,
        vocabulary.patient_follow_up_kinds[f.data.kind] ?? f.data.kind)))
      : h("p", {}, "Nothing is booked at the moment."),
    h("h2", {}, "Groups and services"),
    referrals.length ? h("ul", { class: "nhsuk-list app-my-groups" }, referrals.map(group))
      : h("p", {}, "Your link worker has not put you in touch with any groups yet."),
  ];
}

/** A patient's own check-ins, from their phone, in the words and charts of the server's page. */
export async function myProgressPage({ vocabulary }) {
  const own = await ownRecord();
  if (!own) return [titled("My progress"), h("p", {}, "Your record is not on this phone yet.")];
  const checkIns = (await recordsForPatient(own.id)).filter((r) => r.type === "checkin")
    .sort((a, b) => b.data.captured_at.localeCompare(a.data.captured_at));
  const scored = checkIns.map((c) => ({ id: c.id, captured_at: c.data.captured_at,
                                        scores: scoresOf(c, vocabulary.measure_rules) }))
    .filter((c) => c.scores);
  const latest = checkIns[0] && scored.find((c) => c.id === checkIns[0].id);
  return [
    titled("My progress"),
    h("p", {}, "You are offline. This is what this phone holds from your last sync."),
    own.data.status === "active" ? h("p", {}, button("/my-progress/check-in", "Do a check-in")) : null,
    await myCare(own, vocabulary),
    checkIns.length ? [
      h("h2", {}, `Your latest check-in, ${formatDate(checkIns[0].data.captured_at)}`),
      statusTag(checkIns[0].status),
      latest ? summaryList(vocabulary.tracked
        .map((t) => [t, scoreValue(latest.scores, t.measure, t.field)])
        .filter(([, value]) => value !== null)
        .map(([t, value]) => [t.label, `${formatValue(value)} out of ${t.high}`])) : null,
      scored.length ? h("h2", {}, "How you are doing over time") : null,
      progressCharts(scored, vocabulary.tracked),
      h("h2", {}, "Your check-ins"),
      h("ul", { class: "nhsuk-list" }, checkIns.map((c) =>
        h("li", {}, formatDate(c.data.captured_at, { time: true }),
          c.data.source === "self" ? " (done by you)" : "", " ", statusTag(c.status)))),
    ] : h("p", {}, "No check-ins yet."),
  ].flat(2).filter(Boolean); // the page's parts, in order, without the ones that do not apply
}
