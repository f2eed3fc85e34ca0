// Finding someone on a caseload, offline as the worker types: the rules of
// pwa/caseload_filter.py, written again for the phone (tests/test_caseload_filter.py runs the
// same cases through both).

const DIGIT = /[0-9]/;

/** The filter a page's query string asks for; anything unknown is left out. */
export function readFilter(params, { needs, dueChoices, orderChoices }) {
  const need = params.get("need") ?? "";
  const due = params.get("due") ?? "";
  const order = params.get("order") ?? "";
  return {
    text: (params.get("q") ?? "").slice(0, 100),
    need: Object.hasOwn(needs, need) ? need : "",
    due: Object.hasOwn(dueChoices, due) ? due : "",
    order: Object.hasOwn(orderChoices, order) ? order : "name",
  };
}

/** Whether what was typed finds this patient: digits in the NHS number, words in the name. */
export function textMatches(text, fullName, nhsNumber) {
  const typed = text.trim().toLowerCase();
  if (!typed) return true;
  const digits = [...typed].filter((c) => DIGIT.test(c)).join("");
  if ([...typed].every((c) => DIGIT.test(c) || c === " ")) {
    return digits.length >= 3 && Boolean(nhsNumber) && nhsNumber.includes(digits);
  }
  const name = letters(fullName.toLowerCase());
  return letters(typed).split(/\s+/).filter(Boolean).every((word) => name.includes(word));
}

/** Letters, digits and spaces only: "obrien" finds O'Brien, "smithjones" Smith-Jones. */
function letters(text) {
  return text.replace(/[^\p{L}\p{N}\s]/gu, "");
}

/** "overdue", "week" (in the next 7 days), "later" or "none" (nothing booked). */
export function dueState(nextDue, now) {
  if (!nextDue) return "none";
  const due = new Date(nextDue).getTime();
  if (due < now.getTime()) return "overdue";
  return due < now.getTime() + 7 * 24 * 3600 * 1000 ? "week" : "later";
}

/** Whether a patient stays on the list the filter asks for. */
export function keeps(filter, { fullName, nhsNumber, needs, nextDue, now }) {
  if (!textMatches(filter.text, fullName, nhsNumber)) return false;
  if (filter.need && !(needs || []).includes(filter.need)) return false;
  return !filter.due || dueState(nextDue, now) === filter.due;
}
