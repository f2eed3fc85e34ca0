// Enhance the server-rendered pages: NHS.UK frontend's components, the offline app shell, and
// this phone's own store (enrolment, sync, drafts, the status line).
import { initAll } from "./vendor/nhsuk/nhsuk-frontend.min.js";
import { h } from "./js/dom.mjs";
import { forgetSavedDrafts, keepDraft } from "./js/drafts.mjs";
import { getMeta } from "./js/local-store.mjs";
import { startOfflineApp } from "./js/offline-app.mjs";
import { restoreSubscription, startPushSettings } from "./js/push-settings.mjs";
import { enrolDevice, signOutDevice } from "./js/sync-client.mjs";
import { announce, requestSync, startSyncTriggers } from "./js/sync-scheduler.mjs";
import { startStorageSettings } from "./js/storage-settings.mjs";
import { SyncStatus } from "./js/sync-status.mjs";

const ENROLLED_ROLES = ["link_worker", "patient"]; // admins work online, holding nothing locally

initAll();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).catch((error) => {
    console.warn("The app will not open offline:", error);
  });
}

function metaContent(name) {
  return document.querySelector(`meta[name="${name}"]`)?.content;
}

function notice(text, important = false) {
  const banner = h("div", { class: important ? "nhsuk-warning-callout" : "nhsuk-inset-text" },
                   h("p", {}, text));
  document.querySelector("main")?.prepend(banner);
}

/** Enrol this phone for whoever signed in on this page, once, or again after a token expired. */
async function enrolIfNeeded() {
  const userId = metaContent("app-user-id");
  const token = await getMeta("token");
  if (!userId || !ENROLLED_ROLES.includes(metaContent("app-user-role"))) return Boolean(token);
  const user = await getMeta("user");
  if (token && user?.id === userId && !(await getMeta("needs_sign_in"))) return true;
  try {
    const platform = navigator.userAgentData?.platform || "Phone";
    await enrolDevice(`${platform}, enrolled ${new Date().toLocaleDateString("en-GB")}`);
  } catch (error) {
    notice(`This phone cannot keep your records offline yet. ${error.message}`, true);
    return false;
  }
  // Ask the browser not to clear this site's storage when space runs low.
  await navigator.storage?.persist?.().catch(() => false);
  restoreSubscription().catch(() => undefined); // not awaited: never hold up syncing
  return true;
}

/** Whether the server can be reached now (a page loaded earlier may be open with no signal). */
async function serverAnswers() {
  try {
    return (await fetch("/healthz", { cache: "no-store" })).ok;
  } catch {
    return false;
  }
}

/** Sign out: first send what is waiting; wipe the phone only when nothing would be lost. */
function guardSignOut(form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed) return;
    event.preventDefault();
    if (!(await serverAnswers())) {
      // Wiping now and then failing to reach the server would lose what is waiting and still
      // leave the person signed in.
      notice("Signing out needs signal. Nothing has been removed from this phone: try again " +
             "when you are connected.", true);
      return;
    }
    await requestSync();
    let outcome = await signOutDevice();
    if (!outcome.ok) {
      const count = outcome.waiting.pending + outcome.waiting.attention;
      const lose = window.confirm(`${count} record${count === 1 ? " has" : "s have"} not been sent ` +
        "from this phone. If you sign out now, they will be lost. Sign out anyway?");
      if (!lose) return;
      outcome = await signOutDevice({ force: true });
    }
    form.dataset.confirmed = "yes";
    // The phone holds nothing now: the server's answer may clear the rest of the site's data
    // (the cached shell, the worker) with Clear-Site-Data.
    form.append(h("input", { type: "hidden", name: "phone_cleared", value: "yes" }));
    form.requestSubmit();
  });
}

async function start() {
  await forgetSavedDrafts();
  for (const form of document.querySelectorAll('form[data-module="app-draft"]')) {
    keepDraft(form, metaContent("app-user-id"));
  }
  for (const form of document.querySelectorAll('form[data-module="app-sign-out"]')) guardSignOut(form);
  for (const element of document.querySelectorAll('[data-module="app-sync-status"]')) {
    new SyncStatus(element);
  }
  const view = document.querySelector('[data-module="app-offline"]');
  const flash = sessionStorage.getItem("app-flash");
  if (flash && !view) {
    sessionStorage.removeItem("app-flash");
    notice(flash);
  }
  const enrolled = await enrolIfNeeded();
  if (view) await startOfflineApp(view);
  if (enrolled) startSyncTriggers();
  else await announce();
  // Last, and not awaited: it waits for the service worker, which must never hold up syncing.
  for (const element of document.querySelectorAll('[data-module="app-storage"]')) {
    startStorageSettings(element).catch((error) => console.warn("Storage:", error));
  }
  for (const element of document.querySelectorAll('[data-module="app-push-settings"]')) {
    startPushSettings(element).catch((error) => console.warn("Notifications:", error));
  }
}

start();
