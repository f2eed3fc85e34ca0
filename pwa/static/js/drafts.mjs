/**
 * Keep a form's answers as the person types, so an interrupted visit resumes where it stopped.
 * A draft lives in IndexedDB by page path until the form is saved: on the server (the next page
 * says so with data-app-saved-form) or into the outbox offline.
 */
import { Locked } from "./keyring.mjs";
import { deleteDraft, getDraft, saveDraft } from "./local-store.mjs";
import { formatDate, h } from "./dom.mjs";

function fieldsOf(form) {
  return [...new FormData(form).entries()].filter(([name]) => name !== "csrf_token");
}

function restore(form, fields) {
  for (const element of form.elements) {
    if (!element.name || element.name === "csrf_token") continue;
    const values = fields.filter(([name]) => name === element.name).map(([, value]) => value);
    if (element.type === "radio" || element.type === "checkbox") {
      element.checked = values.includes(element.value);
    } else if (values.length) {
      element.value = values[0];
    }
  }
  openAnswered(form);
}

/** Open the collapsed sections (a measure's <details>) that hold an answer, so it shows. */
export function openAnswered(form) {
  for (const details of form.querySelectorAll("details")) {
    if (details.querySelector("input:checked")) details.open = true;
  }
}

/** Drop the drafts of forms the server says were saved. */
export async function forgetSavedDrafts() {
  for (const marker of document.querySelectorAll("[data-app-saved-form]")) {
    await deleteDraft(marker.dataset.appSavedForm);
  }
}

/**
 * Keep `form`'s draft under `path` for `user`, restoring it first unless the page shows server
 * errors. Someone else's draft on this phone is never shown: it goes.
 */
export async function keepDraft(form, user, path = location.pathname) {
  let draft = await getDraft(path);
  if (draft && draft.user !== user) {
    await deleteDraft(path);
    draft = undefined;
  }
  const answeredByServer = document.querySelector(".nhsuk-error-summary");
  if (draft && !answeredByServer) {
    restore(form, draft.fields);
    const notice = h("div", { class: "nhsuk-inset-text app-draft-notice" },
      h("p", {}, `We kept what you typed here on ${formatDate(draft.saved, { time: true })}. `,
        h("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary nhsuk-button--small",
                      onclick: async () => {
                        await deleteDraft(path);
                        form.reset();
                        notice.remove();
                      } }, "Start again")));
    form.before(notice);
  }
  const keep = () => saveDraft(path, fieldsOf(form), user).catch((error) => {
    // Locked mid-typing: what was kept before the lock stays, sealed, for after the PIN.
    if (!(error instanceof Locked)) console.warn("The draft could not be kept:", error);
  });
  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
}
