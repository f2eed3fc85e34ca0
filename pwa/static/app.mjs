// Enhance the server-rendered pages: NHS.UK frontend's components, the offline app shell, and
// this phone's own store (enrolment, sync, drafts, the status line).
import { initAll } from "./vendor/nhsuk/nhsuk-frontend.min.js";
import { h } from "./js/dom.mjs";
import { forgetSavedDrafts, keepDraft } from "./js/drafts.mjs";
import { liveSearch } from "./js/live-search.mjs";
import { showScoresAsAnswered } from "./js/measure-score.mjs";
import { isUnlocked, lock } from "./js/keyring.mjs";
import { helpPanel, refreshKeptPages } from "./js/help.mjs";
import { startOfflineApp, takeNeedsHelp } from "./js/offline-app.mjs";
import { openPhone } from "./js/phone-lock.mjs";
import { restoreSubscription, startPushSettings } from "./js/push-settings.mjs";
import { signOutDevice } from "./js/sync-client.mjs";
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
  for (const form of document.querySelectorAll('form[data-module="app-live-search"]')) liveSearch(form);
  const rules = document.getElementById("app-measure-rules");
  for (const form of rules ? document.querySelectorAll("form") : []) {
    if (form.querySelector("[data-measure]")) showScoresAsAnswered(form, JSON.parse(rules.textContent));
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
  // A check-in saved offline that crossed a help threshold, sent before this page loaded: the
  // server's page shows the panel the offline one would have (offline-app.mjs flags it).
  const panel = !view && takeNeedsHelp() ? helpPanel() : null;
  if (panel) document.querySelector("main")?.prepend(panel);
  const userId = metaContent("app-user-id");
  const keepsRecords = Boolean(userId) && ENROLLED_ROLES.includes(metaContent("app-user-role"));
  // Sealed records open only once the phone is unlocked (phone-lock.mjs).
  // The server marks the pages that show records (layout.html): the sign-in page is not one.
  const lockable = document.documentElement.classList.contains("app-lock-pending");
  const opened = lockable ? await openPhone(keepsRecords ? userId : null) : { ok: false };
  if (opened.message) notice(opened.message, true);
  if (opened.ok) {
    for (const form of document.querySelectorAll('form[data-module="app-draft"]')) {
      keepDraft(form, userId);
    }
    if (view) await startOfflineApp(view);
    if (keepsRecords) restoreSubscription().catch(() => undefined); // never hold up syncing
    startSyncTriggers();
  } else if (!lockable && (await isUnlocked())) {
    // A page that shows no records (signing in, or an admin's): an unlocked phone still
    // sends what is waiting with its own token, as after a restore ended every web session.
    startSyncTriggers();
  } else {
    await announce();
  }
  for (const button of document.querySelectorAll('[data-module="app-lock-now"]')) {
    button.hidden = !opened.ok;
    button.addEventListener("click", () => lock()); // phone-lock.mjs shows the lock
  }
  refreshKeptPages().catch(() => undefined); // the practice's words, for offline; never blocks
  // Last, and not awaited: it waits for the service worker, which must never hold up syncing.
  for (const element of document.querySelectorAll('[data-module="app-storage"]')) {
    startStorageSettings(element).catch((error) => console.warn("Storage:", error));
  }
  for (const element of document.querySelectorAll('[data-module="app-push-settings"]')) {
    startPushSettings(element).catch((error) => console.warn("Notifications:", error));
  }
}

start().catch((error) => {
  // Never leave a page blank: show what the server drew, and say the phone's store failed.
  document.documentElement.classList.remove("app-lock-pending");
  console.error("The app could not start:", error);
});
