/**
 * When the phone syncs: at start, when it comes online, when the app is shown again, after each
 * save, from Background Sync where the browser has it (the service worker asks an open page to
 * sync), and on a backoff timer while anything is waiting and the last try failed.
 */
import { syncNow, syncState } from "./sync-client.mjs";

/** Fired on window with the status line's state whenever it may have changed. */
export const STATUS_EVENT = "app:sync-status";
const BACKGROUND_SYNC_TAG = "outbox";
const FIRST_RETRY_MS = 5_000;
const LONGEST_RETRY_MS = 5 * 60_000;
// Worth trying again by itself; `sign_in` and `device_revoked` need the person instead.
const RETRYABLE = new Set(["offline", "stalled", "error"]);

let running = null;
let again = false;
let retryIn = FIRST_RETRY_MS;
let timer = null;
let lastResult = null;

/** Sync now, or straight after the sync already running; resolves with its result. */
export function requestSync() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    let result;
    let changed = 0; // over every round: a page drawn before the first is stale if any moved
    do {
      again = false;
      try {
        result = await syncNow();
      } catch (error) {
        console.warn("Sync failed; everything is still on this phone:", error);
        result = { ok: false, reason: "error" };
      }
      changed += result.changed ?? 0;
    } while (again && result.ok);
    return { ...result, changed };
  })().then(async (result) => {
    running = null;
    await afterSync(result);
    return result;
  });
  return running;
}

async function afterSync(result) {
  lastResult = result;
  clearTimeout(timer);
  const waiting = RETRYABLE.has(result.reason) || result.reason?.startsWith("http_5");
  if (!result.ok && waiting && result.pending > 0) {
    timer = setTimeout(requestSync, retryIn);
    retryIn = Math.min(retryIn * 2, LONGEST_RETRY_MS);
  } else if (result.ok) {
    retryIn = FIRST_RETRY_MS;
  }
  await announce();
}

/** Tell the status line (and anything else listening) the current state. */
export async function announce() {
  const state = await syncState();
  dispatchEvent(new CustomEvent(STATUS_EVENT, { detail: { ...state, last: lastResult } }));
}

/**
 * After a save: register Background Sync where allowed, and try at once as well.
 * Resolves with the sync's result; the record is safe in the outbox whatever it is.
 */
export async function syncAfterSave() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    await registration?.sync?.register(BACKGROUND_SYNC_TAG);
  } catch {
    // Not allowed or not there (Firefox, Safari): `online`, visibility and the timer cover it.
  }
  await announce();
  return requestSync();
}

/** Start every trigger for this page, and sync once now (the app's start). */
export function startSyncTriggers() {
  addEventListener("online", () => {
    retryIn = FIRST_RETRY_MS;
    requestSync();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") requestSync();
  });
  // The service worker's Background Sync event asks an open page to do the work.
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type !== "sync-requested") return;
    requestSync().then((result) => event.ports[0]?.postMessage({ ok: result.ok }));
  });
  return requestSync();
}
