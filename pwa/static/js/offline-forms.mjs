/**
 * The offline forms: the shell's empty server-rendered forms (in <template> elements), read
 * into a record's sync `data`, filled back from one, and marked with errors as NHS.UK does.
 *
 * The checks here are the ones a person needs at once (required answers, real dates); the
 * server checks everything again when the record syncs, and anything it refuses comes back as
 * "needs attention" with its reasons.
 */
import { h, localIso } from "./dom.mjs";

/** Clone the shell's empty form for a record type into a <form> element. */
export function emptyForm(type, variant = "") {
  const form = h("form", { method: "post", novalidate: true });
  form.append(document.getElementById(`form-${type}${variant}`).content.cloneNode(true));
  return form;
}

const READERS = { checkin: readCheckIn, patient: readPatient, followup: readFollowUp,
                  referral: readReferral, contact: readContact };

/** Read a form into {data, errors}; `errors` is {fields: {name: message}, form: [message]}. */
export function readForm(type, form, context) {
  const errors = { fields: {}, form: [] };
  const data = READERS[type](new FormData(form), form, errors, context);
  const failed = Object.keys(errors.fields).length + errors.form.length > 0;
  return { data, errors: failed ? errors : null };
}

function text(values, name) {
  return String(values.get(name) ?? "").trim();
}

function required(values, name, errors, message) {
  const value = text(values, name);
  if (!value) errors.fields[name] = message;
  return value;
}

function readDate(values, name, label, errors) {
  const [day, month, year] = ["day", "month", "year"].map((p) => text(values, `${name}-${p}`));
  if (!day && !month && !year) return null;
  const date = new Date(Number(year), Number(month) - 1, Number(day));
  if (year.length !== 4 || date.getDate() !== Number(day) || date.getMonth() !== Number(month) - 1) {
    errors.fields[`${name}-day`] = `${label} must be a real date`;
    return null;
  }
  return date;
}

function isoDay(date) {
  return localIso(date).slice(0, 10);
}

function readCheckIn(values, form, errors, { patientId, measureTitles }) {
  const measures = {};
  const names = [...new Set([...form.querySelectorAll('input[type="radio"]')]
    .map((input) => input.name).filter((name) => name.includes("__")))];
  const groups = {};
  for (const name of names) (groups[name.split("__")[0]] ??= []).push(name);
  for (const [measure, items] of Object.entries(groups)) {
    const answered = items.filter((name) => values.get(name) !== null);
    if (answered.length === items.length) {
      measures[measure] = Object.fromEntries(
        items.map((name) => [name.split("__")[1], Number(values.get(name))]));
    } else if (answered.length) {
      for (const name of items.filter((n) => values.get(n) === null)) {
        // The question itself, as the server's form says it: the summary lists each one.
        const question = form.querySelector(`input[name="${name}"]`)?.closest("fieldset")
          ?.querySelector("legend")?.textContent.trim() ?? "this question";
        errors.fields[name] = `Answer “${question}” or clear the ${measureTitles[measure]} answers`;
      }
    }
  }
  if (!Object.keys(measures).length && !Object.keys(errors.fields).length) {
    errors.form.push("Answer every question of at least one measure");
  }
  return { patient_id: patientId, captured_at: localIso(new Date()), source: "link_worker",
           measures, needs: values.getAll("needs"), notes: text(values, "notes"), amends: null };
}

function readPatient(values, form, errors, { userId }) {
  const given = required(values, "given_name", errors, "Enter the patient's first name");
  const family = required(values, "family_name", errors, "Enter the patient's last name");
  const born = readDate(values, "date_of_birth", "Date of birth", errors);
  if (!born && !errors.fields["date_of_birth-day"]) {
    errors.fields["date_of_birth-day"] = "Enter the patient's date of birth";
  } else if (born && born > new Date()) {
    errors.fields["date_of_birth-day"] = "Date of birth must be in the past";
  }
  const reason = required(values, "referral_reason", errors, "Enter why the patient was referred");
  const consent = values.get("consent_to_contact");
  if (!consent) errors.fields.consent_to_contact = "Select whether they have agreed to be contacted";
  return { given_name: given, family_name: family, date_of_birth: born ? isoDay(born) : null,
           nhs_number: text(values, "nhs_number") || null, phone: text(values, "phone") || null,
           postcode: text(values, "postcode") || null, link_worker_id: userId, status: "active",
           needs: values.getAll("needs"), referral_reason: reason,
           consent_to_contact: consent === "yes" };
}

function readFollowUp(values, form, errors, { patientId, userId }) {
  const kind = values.get("kind");
  if (!kind) errors.fields.kind = "Select what kind of follow-up it is";
  const due = readDate(values, "due_date", "Date", errors);
  if (!due && !errors.fields["due_date-day"]) errors.fields["due_date-day"] = "Enter the date it is due";
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  if (due && due < today) errors.fields["due_date-day"] = "Date must be today or in the future";
  const [hours, minutes] = (text(values, "due_time") || "09:00").split(":").map(Number);
  if (due) due.setHours(hours || 0, minutes || 0);
  return { patient_id: patientId, due_at: due ? localIso(due) : null, kind, assigned_to: userId,
           note: text(values, "note"), done_at: null };
}

function readReferral(values, form, errors, { assetId }) {
  const patient = required(values, "patient_id", errors, "Select the patient to refer");
  const status = values.get("status");
  if (!status) errors.fields.status = "Select the status of the referral";
  // created_at: when it was made, for the timeline until the server's own time comes back
  // (the server ignores it).
  return { patient_id: patient, asset_id: assetId, status, note: text(values, "note"),
           created_at: localIso(new Date()) };
}

/**
 * When a contact happened, from the form's optional date and time: the rule of
 * pwa/casework/rules.py `contact_moment`. Neither: now. A time alone: today at that time. A
 * date alone: now if today, else midday. A moment still to come is refused.
 */
export function contactMoment(day, time, now = new Date()) {
  if (!day && !time) return { at: now };
  const at = new Date(day ?? now);
  const sameDay = at.toDateString() === now.toDateString();
  if (!time) {
    if (sameDay) return { at: now };
    at.setHours(12, 0, 0, 0);
  } else {
    const [hours, minutes] = time.split(":").map(Number);
    at.setHours(hours || 0, minutes || 0, 0, 0);
  }
  if (at > now) return { error: "Must not be later than now: log a contact once it has happened" };
  return { at };
}

function readContact(values, form, errors, { patientId }) {
  const kind = values.get("kind");
  if (!kind) errors.fields.kind = "Select what happened";
  const day = readDate(values, "happened_date", "Date", errors);
  if (day && day > new Date()) errors.fields["happened_date-day"] = "Date must be today or in the past";
  else if (day && day.getFullYear() < 2000) errors.fields["happened_date-day"] = "Date must be after 1 January 2000";
  let happened = null;
  if (!errors.fields["happened_date-day"]) {
    const { at, error } = contactMoment(day, text(values, "happened_time"));
    if (error) errors.fields.happened_time = error;
    happened = at ? localIso(at) : null;
  }
  return { patient_id: patientId, kind, happened_at: happened, note: text(values, "note") };
}

/** Put a record's data back into its form, so a person can fix what the server refused. */
export function fillForm(type, form, data) {
  const values = { ...data };
  const day = (iso) => iso && new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  const parts = (name, date) => date && Object.assign(values, {
    [`${name}-day`]: String(date.getDate()), [`${name}-month`]: String(date.getMonth() + 1),
    [`${name}-year`]: String(date.getFullYear()) });
  if (type === "checkin") {
    for (const [measure, answers] of Object.entries(data.measures || {})) {
      for (const [item, answer] of Object.entries(answers)) values[`${measure}__${item}`] = String(answer);
    }
  } else if (type === "patient") {
    parts("date_of_birth", day(data.date_of_birth));
    values.consent_to_contact = data.consent_to_contact ? "yes" : "no";
  } else if (type === "followup" && data.due_at) {
    parts("due_date", day(data.due_at));
    values.due_time = data.due_at.slice(11, 16);
  } else if (type === "contact" && data.happened_at) {
    parts("happened_date", day(data.happened_at));
    values.happened_time = data.happened_at.slice(11, 16);
  }
  for (const element of form.elements) {
    if (!element.name || !(element.name in values)) continue;
    const value = values[element.name];
    if (element.type === "radio" || element.type === "checkbox") {
      element.checked = [value].flat().map(String).includes(element.value);
    } else {
      element.value = value ?? "";
    }
  }
  for (const details of form.querySelectorAll("details")) {
    if (details.querySelector("input[name*='__']:checked")) details.open = true;
  }
}

/** The form field a sync API error names (the API names data fields, forms name inputs). */
const FIELD_FOR = { date_of_birth: "date_of_birth-day", due_at: "due_date-day",
                    happened_at: "happened_time" };

/** Show errors above the form and beside each field, and move focus to them. */
export function showErrors(form, errors) {
  form.querySelectorAll(".nhsuk-error-message").forEach((element) => element.remove());
  form.querySelectorAll(".nhsuk-form-group--error")
    .forEach((group) => group.classList.remove("nhsuk-form-group--error"));
  form.parentElement.querySelector(".nhsuk-error-summary")?.remove();
  if (!errors) return;
  const items = errors.form.map((message) => h("li", {}, message));
  for (const [name, message] of Object.entries(errors.fields)) {
    const input = form.elements[FIELD_FOR[name] ?? name];
    const first = input instanceof RadioNodeList ? input[0] : input;
    if (!first) {
      items.push(h("li", {}, `${name}: ${message}`));
      continue;
    }
    items.push(h("li", {}, h("a", { href: `#${first.id}` }, message)));
    const group = first.closest(".nhsuk-form-group");
    group?.classList.add("nhsuk-form-group--error");
    const anchor = group?.querySelector("legend, label");
    anchor?.after(h("span", { class: "nhsuk-error-message" },
                    h("span", { class: "nhsuk-u-visually-hidden" }, "Error:"), ` ${message}`));
  }
  const summary = h("div", { class: "nhsuk-error-summary", role: "alert", tabindex: "-1" },
    h("h2", { class: "nhsuk-error-summary__title" }, "There is a problem"),
    h("div", { class: "nhsuk-error-summary__body" },
      h("ul", { class: "nhsuk-list nhsuk-error-summary__list" }, items)));
  form.before(summary);
  summary.focus();
}

/** Turn the server's per-field reasons (lists of messages) into the errors showErrors takes. */
export function serverErrors(attention) {
  const fields = Object.fromEntries(Object.entries(attention.errors || {})
    .map(([name, messages]) => [name, [messages].flat().join(" ")]));
  return { fields, form: Object.keys(fields).length ? [] : [attention.code || attention.status] };
}
