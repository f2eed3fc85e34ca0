/**
 * The offline app: the service worker serves the shell for any page it cannot fetch, and this
 * draws that page (by its path) from IndexedDB. Saving puts a record in the outbox and asks
 * for a sync; nothing here talks to the server directly.
 */
import { choices, formatDate, h, titled, usePracticeTimeZone } from "./dom.mjs";
import { keepDraft } from "./drafts.mjs";
import { deleteDraft, discard, getDraft, getMeta, getRecord, outboxEntries, recordsOfType, resend,
         saveRecord } from "./local-store.mjs";
import { emptyForm, fillForm, readForm, serverErrors, showErrors } from "./offline-forms.mjs";
import { assetPage, caseloadOf, caseloadPage, directoryPage, myProgressPage, ownRecord, recordPage }
  from "./offline-pages.mjs";
import { announce, requestSync, STATUS_EVENT, syncAfterSave } from "./sync-scheduler.mjs";
import { helpPanel, helpReasons, servedThresholds } from "./help.mjs";
import { scoreAll, servedRules } from "./measures.mjs";
import { showScoresAsAnswered } from "./measure-score.mjs";

const ID = "([0-9a-f-]{36})";
const ROUTES = [
  [/^\/(caseload)?$/, caseloadPage],
  [/^\/patients\/new$/, (app) => formPage(app, "patient", { heading: "Add a patient",
                                                            draft: true })],
  [new RegExp(`^/patients/${ID}$`), recordPage],
  [new RegExp(`^/patients/${ID}/check-ins/new$`), (app, id) => formPage(app, "checkin", {
    heading: "Record a check-in", patientId: id, draft: true })],
  [new RegExp(`^/patients/${ID}/follow-ups/new$`), (app, id) => formPage(app, "followup", {
    heading: "Book a follow-up", patientId: id })],
  [new RegExp(`^/patients/${ID}/contacts/new$`), (app, id) => formPage(app, "contact", {
    heading: "Log a contact", patientId: id })],
  [/^\/assets$/, directoryPage],
  [new RegExp(`^/assets/${ID}$`), assetPage],
  [new RegExp(`^/assets/${ID}/refer$`), (app, id) => formPage(app, "referral", {
    heading: "Refer a patient", assetId: id })],
  [new RegExp(`^/patients/${ID}/discharge$`), dischargePage],
  [/^\/sync-status$/, statusPage],
  [new RegExp(`^/sync-status/${ID}/fix$`), fixPage],
];
// A patient's own phone: their progress and their own check-in (DESIGN: "also offline").
const PATIENT_ROUTES = [
  [/^\/(my-progress)?$/, myProgressPage],
  [/^\/my-progress\/check-in$/, async (app) => formPage(app, "checkin", {
    heading: "How are you doing?", patientId: (await ownRecord())?.id, draft: true,
    next: "/my-progress" })],
  ...ROUTES.slice(-2),
];
const STAFF_ONLY_LINKS = ["/caseload", "/assets"];

// Records never changed once stored: a conflict is kept as a new one, never merged.
const IMMUTABLE = { checkin: "check-in", contact: "contact" };
const SAVED = { patient: "Patient added", checkin: "Check-in saved", followup: "Follow-up booked",
                referral: "Referral saved", contact: "Contact logged" };

/** Draw the page for this path into `view`, if the phone has a person's records to draw from. */
export async function startOfflineApp(view) {
  const user = await getMeta("user");
  if (!user || !["link_worker", "patient"].includes(user.role)) return; // "no connection" stays
  const vocabulary = JSON.parse(document.getElementById("app-vocabulary").textContent);
  usePracticeTimeZone(vocabulary.practice_time_zone);
  const routes = user.role === "patient" ? PATIENT_ROUTES : ROUTES;
  if (user.role === "patient") {
    for (const link of document.querySelectorAll("header nav a")) {
      if (STAFF_ONLY_LINKS.includes(link.getAttribute("href"))) link.closest("li").hidden = true;
    }
    // "Get help now", as on every patient page online.
    for (const element of document.querySelectorAll("[data-app-patient-only]")) element.hidden = false;
  }
  const app = { user, vocabulary, view, routes, rerender: () => render(app) };
  await render(app);
  redrawAfterSync(app);
}

/**
 * A page that shows records is drawn again when a sync brings or sends something ("Waiting to
 * send" goes, a record another phone changed appears), unless the person is typing in it. A
 * form is never redrawn: what they have typed stays as it is.
 */
function redrawAfterSync(app) {
  let seen = null;
  addEventListener(STATUS_EVENT, async (event) => {
    const last = event.detail?.last;
    if (!last?.ok || !last.changed || last === seen) return;
    seen = last;
    if (app.view.querySelector("form[method=post]")) return; // a record's form: leave it be
    if (app.view.contains(document.activeElement) && document.activeElement.matches(
      "input, select, textarea")) return;
    const scrolled = scrollY;
    await render(app, { keepFlash: true });
    scrollTo(0, scrolled);
  });
}

async function render(app, { keepFlash = false } = {}) {
  for (const [pattern, page] of app.routes) {
    const match = location.pathname.match(pattern);
    if (!match) continue;
    const flash = keepFlash ? app.flash : sessionStorage.getItem("app-flash");
    sessionStorage.removeItem("app-flash");
    app.flash = flash;
    const needsHelp = !keepFlash && takeNeedsHelp();
    const content = await page(app, match[1]);
    // A page's parts that do not apply are null: replaceChildren would print them as "null".
    app.view.replaceChildren(
      flash ? h("div", { class: "nhsuk-inset-text" }, h("p", {}, flash)) : "",
      (needsHelp && helpPanel()) || "", ...content.flat().filter((part) => part != null));
    return;
  }
}

/** Whether the page should show "If you need help" (once), after a patient's own check-in. */
export function takeNeedsHelp() {
  const flagged = sessionStorage.getItem("app-needs-help") === "yes";
  sessionStorage.removeItem("app-needs-help");
  return flagged;
}

/** A patient's own check-in whose answers crossed a help threshold: the next page shows the
 * panel, scored here by the server's rules (the server's page does the same online). */
function flagIfNeedsHelp(app, type, data) {
  if (app.user.role !== "patient" || type !== "checkin") return;
  const thresholds = servedThresholds();
  let scores = null;
  try {
    scores = scoreAll(data.measures, servedRules());
  } catch {
    return; // the form checked the answers; a set that cannot be scored crosses nothing
  }
  if (thresholds && helpReasons(scores, thresholds).length) {
    sessionStorage.setItem("app-needs-help", "yes");
  }
}

/** Save a record into the outbox, sync if there is signal, then go to `next`. */
async function saveAndGo(app, type, id, data, next, saved = SAVED[type]) {
  await saveRecord(type, id, data);
  flagIfNeedsHelp(app, type, data);
  const result = await Promise.race([
    syncAfterSave(), new Promise((resolve) => setTimeout(() => resolve(null), 5000))]);
  const sent = result?.ok && result.pending === 0 && result.attention === 0;
  sessionStorage.setItem("app-flash", sent ? `${saved} and sent.`
    : `${saved} on this phone. It will be sent when there is signal.`);
  // A record the server refused is not on its pages: show it where it can be fixed.
  location.assign(result?.attention ? "/sync-status" : next);
}

async function formPage(app, type, { heading, patientId, assetId, draft, next }) {
  const patient = patientId && await getRecord(patientId);
  if (patientId && !patient) return [titled("Not on this phone")];
  // A patient's own check-in: the same form in their words (templates/fields/forms.html).
  const self = app.user.role === "patient" && type === "checkin";
  const form = emptyForm(type, self ? "-self" : "");
  const context = { patientId, assetId, userId: app.user.id,
                    measureTitles: self ? app.vocabulary.patient_measures : app.vocabulary.measures };
  if (type === "checkin") {
    fillForm(type, form, { needs: patient.data.needs });
    showScoresAsAnswered(form, app.vocabulary.measure_rules);
  }
  if (type === "referral") await choosePatient(app, form);
  if (draft) await keepDraft(form, app.user.id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { data, errors } = readForm(type, form, context);
    showErrors(form, errors);
    if (errors) return;
    if (type === "patient" && await alreadyHere(form, data)) return;
    // The online form's id, kept in the draft: if that form did reach the server before the
    // signal went, the server answers with this id instead of taking a second copy.
    const kept = draft && (await getDraft(location.pathname))?.fields
      .find(([name]) => name === "record_id")?.[1];
    const id = /^[0-9a-f-]{36}$/.test(kept ?? "") ? kept : crypto.randomUUID();
    if (draft) await deleteDraft(location.pathname);
    // A contact's "Save and record a check-in" goes on to the check-in form, as online.
    const then = event.submitter?.name === "then" && event.submitter.value === "check_in"
      ? `/patients/${data.patient_id}/check-ins/new` : null;
    await saveAndGo(app, type, id, data,
                    then ?? next ?? `/patients/${type === "patient" ? id : data.patient_id}`);
  });
  return [
    patient && app.user.role !== "patient" ? h("span", { class: "nhsuk-caption-l" },
                `${patient.data.given_name} ${patient.data.family_name}`) : null,
    titled(heading),
    h("p", {}, "You are offline: this is saved on the phone and sent when there is signal."),
    form,
  ];
}

async function choosePatient(app, form) {
  const select = form.elements.patient_id;
  const wanted = new URLSearchParams(location.search).get("patient");
  select.append(h("option", { value: "" }, "Choose a patient"),
    ...(await caseloadOf(app.user)).map((p) => h("option", { value: p.id, selected: p.id === wanted },
      `${p.data.given_name} ${p.data.family_name}`)));
}

/** Name a change as a person would: whose record, and what kind. */
async function describe(entry) {
  const d = entry.data;
  if (entry.type === "patient") return `${d.given_name} ${d.family_name}'s details`;
  const what = { checkin: "Check-in", followup: "Follow-up", referral: "Referral",
                 contact: "Contact" }[entry.type] ?? "Record";
  const patient = d.patient_id ? await getRecord(d.patient_id) : null;
  const whose = patient?.data ? ` for ${patient.data.given_name} ${patient.data.family_name}` : "";
  const when = formatDate(d.captured_at || d.happened_at || d.due_at, { time: true });
  return `${what}${whose}${when ? `, ${when}` : ""}`;
}

function reason(attention, type, labels = {}) {
  if (attention.code === "out_of_scope") {
    return "This patient is no longer on your caseload. The server has kept this for your admin.";
  }
  if (attention.status === "conflict" && type === "contact") {
    return "The server already has this contact with different words (it may have been saved " +
      "from the online form just before the signal went). Keep yours as a new contact, or " +
      "discard it if it is the same one.";
  }
  if (attention.status === "conflict" && type === "checkin") {
    return "The server already has this check-in with a different time or answers (it may have " +
      "been saved from the online form just before the signal went). Keep yours as a new " +
      "check-in, or discard it if it is the same one.";
  }
  if (attention.status === "conflict") {
    return "Someone else changed this on the server after your phone last synced. Choose which " +
      "to keep.";
  }
  const messages = Object.entries(attention.errors || {})
    .map(([f, m]) => `${labels[f] ?? f}: ${[m].flat().join(" ")}`);
  return `The server could not accept it. ${messages.join(" ")}`;
}

/** One field's value in words, as the record's page shows it (pwa/review_words.py online). */
async function inWords(app, type, field, value) {
  const words = app.vocabulary;
  if (value === null || value === undefined || value === "" ||
      (Array.isArray(value) && !value.length)) return "Not recorded";
  if (field === "date_of_birth") return formatDate(value);
  if (["due_at", "done_at", "captured_at"].includes(field)) return formatDate(value, { time: true });
  if (field === "needs") return value.map((n) => words.needs[n] ?? n).join(", ");
  if (field === "kind") return words.follow_up_kinds[value] ?? value;
  if (field === "outcome") return words.follow_up_outcomes[value] ?? value;
  if (field === "status") {
    return (type === "referral" ? words.referral_statuses : words.patient_statuses)[value] ?? value;
  }
  if (field === "consent_to_contact") return value ? "Yes" : "No";
  if (field === "link_worker_id" || field === "assigned_to") {
    return value === app.user.id ? "You" : "Another link worker";
  }
  if (field === "asset_id" || field === "patient_id") {
    const found = (await getRecord(value))?.data;
    if (!found) return field === "asset_id" ? "A community group" : "A patient";
    return found.name ?? `${found.given_name} ${found.family_name}`;
  }
  if (field === "measures") {
    return Object.entries(value).map(([m, answers]) =>
      `${words.measures[m] ?? m}: ${Object.values(answers).join(", ")}`).join("; ");
  }
  return String(value);
}

/** Whether two values of a field say the same: moments compare as instants (the phone writes
 * its offset, the server UTC), everything else as JSON. */
function same(a, b) {
  const moment = /^\d{4}-\d{2}-\d{2}T/;
  if (typeof a === "string" && typeof b === "string" && moment.test(a) && moment.test(b)) {
    return new Date(a).getTime() === new Date(b).getTime();
  }
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Three ways: the copy the phone last had from the server (`original`), the phone's change, and
 * the server's record now. "Mine" is only what this phone changed; everything else is theirs,
 * so keeping mine never undoes someone else's change to another field.
 */
function threeWays(entry) {
  const base = entry.original?.data;
  const mine = entry.data;
  const theirs = entry.server.data ?? {};
  const fields = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  const changed = base ? [...fields].filter((f) => !same(mine[f], base[f])) : [...fields];
  const merged = { ...theirs };
  for (const field of changed) merged[field] = mine[field];
  const alsoTheirs = base ? [...fields].filter((f) => !changed.includes(f) && !same(theirs[f], base[f]))
    : [];
  return { changed, merged, alsoTheirs };
}

/** What differs between the phone's change and the server's record, field by field, in words. */
async function differences(app, entry) {
  const labels = app.vocabulary.field_labels[entry.type] || [];
  const { changed, alsoTheirs } = threeWays(entry);
  const rows = [];
  for (const [field, label] of labels) {
    const mine = entry.data[field];
    const theirs = entry.server.data?.[field];
    if (!changed.includes(field) || same(mine, theirs)) continue;
    rows.push([label, await inWords(app, entry.type, field, mine),
               await inWords(app, entry.type, field, theirs)]);
  }
  const kept = labels.filter(([field]) => alsoTheirs.includes(field)).map(([, label]) => label);
  return { rows, kept };
}

function differenceTable({ rows, kept }) {
  const keptWords = kept.length ? h("p", {}, `Also changed on the server, and kept whichever you ` +
    `choose: ${kept.join(", ")}.`) : null;
  if (!rows.length) return [h("p", {}, "Nothing you changed differs: keeping theirs loses nothing."), keptWords];
  return [h("table", { class: "nhsuk-table" },
    h("caption", { class: "nhsuk-table__caption nhsuk-table__caption--s" }, "What differs"),
    h("thead", { class: "nhsuk-table__head" }, h("tr", {},
      h("th", { scope: "col" }, "What"), h("th", { scope: "col" }, "Your change"),
      h("th", { scope: "col" }, "On the server now"))),
    h("tbody", { class: "nhsuk-table__body" }, rows.map(([label, mine, theirs]) =>
      h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, mine), h("td", {}, theirs))))),
    keptWords];
}

/** What this phone is waiting to send, and the records that need a person to decide. */
async function statusPage(app) {
  const entries = await outboxEntries();
  const attention = entries.filter((e) => e.attention);
  const act = (label, action, secondary = true) => h("button", {
    type: "button", onclick: async () => { await action(); await announce(); app.rerender(); },
    class: `nhsuk-button nhsuk-button--small${secondary ? " nhsuk-button--secondary" : ""}` }, label);
  const compared = (e) => e.attention.status === "conflict" && !IMMUTABLE[e.type] && e.server &&
    !e.server.deleted;
  const answers = (e) => {
    if (compared(e)) {
      return [act("Keep mine", async () => {
        // Mine where I changed something; theirs everywhere else.
        await resend(e.id, { data: threeWays(e).merged, baseVersion: e.server.version });
        requestSync();
      }, false),
              act("Keep theirs", () => discard(e.id))];
    }
    const buttons = [];
    if (e.attention.status === "conflict" && IMMUTABLE[e.type]) {
      buttons.push(act(`Keep mine as a new ${IMMUTABLE[e.type]}`, async () => {
        await saveRecord(e.type, crypto.randomUUID(), e.data);
        await discard(e.id);
        requestSync();
      }));
    } else if (e.attention.code !== "out_of_scope") {
      buttons.push(h("a", { class: "nhsuk-button nhsuk-button--small", href: `/sync-status/${e.id}/fix` },
                     "Fix it"));
    }
    buttons.push(act("Discard this change", () => discard(e.id), true));
    return buttons;
  };
  const cards = [];
  for (const e of attention) {
    cards.push(h("div", { class: "nhsuk-card" }, h("div", { class: "nhsuk-card__content" },
      h("h3", { class: "nhsuk-card__heading" }, await describe(e)),
      h("p", {}, reason(e.attention, e.type,
                        Object.fromEntries(app.vocabulary.field_labels[e.type] || []))),
      compared(e) ? differenceTable(await differences(app, e)) : null,
      h("p", {}, ...answers(e)))));
  }
  const waiting = entries.filter((e) => !e.attention);
  const named = await Promise.all(waiting.map((e) => describe(e)));
  return [
    titled("Sync status"),
    h("p", {}, `${entries.length - attention.length} waiting to send, ` +
               `${attention.length} needing attention.`),
    h("p", {}, act("Sync now", () => requestSync(), false)),
    waiting.length ? [h("h2", {}, "Waiting to send"),
                      h("ul", { class: "nhsuk-list nhsuk-list--bullet" }, named.map((n) => h("li", {}, n)))]
      : null,
    attention.length ? h("h2", {}, "Needs attention") : null,
    ...cards,
  ];
}

/** A name as people read it: any case, a curly apostrophe as a straight one (as the server's
 * casework.same_name_and_birth compares them). */
const nameKey = (name) => (name ?? "").normalize("NFC").toLowerCase().replaceAll("\u2019", "'").trim();

/**
 * The server's duplicate rules, as far as this phone can see (its own caseload): an NHS number
 * another patient here has is an error; the same name and date of birth warns, and goes on only
 * when told "This is a different person". The server checks the whole practice when it syncs.
 */
async function alreadyHere(form, data) {
  const patients = await recordsOfType("patient");
  const digits = (text) => (text ?? "").replace(/\D/g, "");
  const born = (p) => formatDate(p.data.date_of_birth);
  if (data.nhs_number) {
    const holder = patients.find((p) => digits(p.data.nhs_number) === digits(data.nhs_number));
    if (holder) {
      showErrors(form, { form: [], fields: { nhs_number:
        `${holder.data.given_name} ${holder.data.family_name} (born ${born(holder)}) already has ` +
        "this NHS number. Check it, or open their record." } });
      return true;
    }
  }
  const same = patients.find((p) => p.data.date_of_birth === data.date_of_birth &&
    nameKey(p.data.given_name) === nameKey(data.given_name) &&
    nameKey(p.data.family_name) === nameKey(data.family_name));
  if (!same || form.elements.different_person?.checked) return false;
  form.querySelector(".app-already-here")?.remove();
  form.prepend(h("div", { class: "nhsuk-warning-callout app-already-here" },
    h("h2", { class: "nhsuk-warning-callout__label" }, h("span", { role: "text" },
      h("span", { class: "nhsuk-u-visually-hidden" }, "Important: "), "Already here?")),
    h("p", {}, h("a", { href: `/patients/${same.id}` }, `${same.data.given_name} ${same.data.family_name}`),
      `, born ${born(same)}, is already on this phone.`),
    h("div", { class: "nhsuk-checkboxes" }, h("div", { class: "nhsuk-checkboxes__item" },
      h("input", { class: "nhsuk-checkboxes__input", id: "different_person", name: "different_person",
                   type: "checkbox", value: "y" }),
      h("label", { class: "nhsuk-label nhsuk-checkboxes__label", for: "different_person" },
        "This is a different person: add them anyway")))));
  form.querySelector(".app-already-here").scrollIntoView();
  return true;
}

/** Ask why, then discharge: templates/patients/discharge.html, drawn on the phone. */
async function dischargePage(app, id) {
  const patient = await getRecord(id);
  const d = patient?.data;
  if (!d || patient.type !== "patient" || d.status !== "active") {
    return [titled("Not on this phone"), h("p", {}, h("a", { href: "/caseload" }, "Back to your caseload"))];
  }
  const name = `${d.given_name} ${d.family_name}`;
  const group = h("div", { class: "nhsuk-form-group" },
    h("fieldset", { class: "nhsuk-fieldset" },
      h("legend", { class: "nhsuk-fieldset__legend nhsuk-fieldset__legend--m" },
        "Why are they leaving the caseload?"),
      h("div", { class: "nhsuk-radios" }, choices(app.vocabulary, "discharge_reasons").map(
        ([value, label], i) => h("div", { class: "nhsuk-radios__item" },
          h("input", { class: "nhsuk-radios__input", id: `reason-${i}`, name: "reason", type: "radio", value }),
          h("label", { class: "nhsuk-label nhsuk-radios__label", for: `reason-${i}` }, label))))));
  const form = h("form", { method: "post", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const reason = form.elements.reason.value;
    // The summary above the form and the message at the question, as every form here.
    showErrors(form, reason ? null : { fields: { reason: "Select why they are being discharged" },
                                       form: [] });
    if (!reason) return;
    await saveAndGo(app, "patient", id, { ...d, status: "discharged", discharge_reason: reason },
                    "/caseload", `${name}'s discharge saved`);
  } }, group, h("button", { class: "nhsuk-button nhsuk-button--warning", type: "submit" }, `Discharge ${name}`));
  return [
    h("span", { class: "nhsuk-caption-l" }, name),
    titled(`Discharge ${d.given_name}?`),
    h("p", {}, `${d.given_name} will leave your caseload. Their record is kept.`),
    h("p", {}, "You are offline: this is saved on the phone and sent when there is signal."),
    form,
    h("p", {}, h("a", { href: `/patients/${id}` }, `No, go back to ${d.given_name}'s record`)),
  ];
}

/** Correct a record the server refused, in its own form, and send it again. */
async function fixPage(app, id) {
  const entry = (await outboxEntries()).find((e) => e.id === id && e.attention);
  if (!entry) return [titled("Nothing to fix"), h("p", {}, h("a", { href: "/sync-status" }, "Sync status"))];
  const self = app.user.role === "patient" && entry.type === "checkin";
  const form = emptyForm(entry.type, self ? "-self" : "");
  const context = { patientId: entry.data.patient_id, assetId: entry.data.asset_id, userId: app.user.id,
                    measureTitles: self ? app.vocabulary.patient_measures : app.vocabulary.measures };
  if (entry.type === "referral") await choosePatient(app, form);
  fillForm(entry.type, form, entry.data);
  // The form's own button says what it does when new ("Add patient"): here it sends a fix.
  const send = form.querySelector('button[type="submit"]:not([name])');
  if (send) send.textContent = "Save and send again";
  form.querySelectorAll('button[type="submit"][name]').forEach((other) => other.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { data, errors } = readForm(entry.type, form, context);
    showErrors(form, errors);
    if (errors) return;
    // A fixed check-in keeps the moment it was first captured.
    await resend(id, { data: entry.type === "checkin" ? { ...data, captured_at: entry.data.captured_at } : data });
    requestSync();
    location.assign("/sync-status");
  });
  const wrapper = h("div", {}, form);
  showErrors(form, serverErrors(entry.attention));
  return [titled("Fix and send again"), wrapper];
}
