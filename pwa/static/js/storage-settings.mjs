/**
 * Settings: whether the browser will keep this app's records when space runs low, how much
 * space they take, and a warning while there is still time to act (CHT added one after people
 * lost work to a full phone).
 */
import { h } from "./dom.mjs";

// Warn when less than this is left, or the app has used this share of what it may use.
export const LOW_SPACE_BYTES = 50 * 1024 * 1024;
export const LOW_SPACE_SHARE = 0.8;

function size(bytes) {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Whether this much use of this much room is running out. */
export function runningOut(usage, quota) {
  return quota - usage < LOW_SPACE_BYTES || usage / quota > LOW_SPACE_SHARE;
}

export async function startStorageSettings(root) {
  const state = root.querySelector("[data-storage-state]");
  const storage = navigator.storage;
  if (!storage?.estimate) {
    state.textContent = "This browser does not say how much space the app may use.";
    return;
  }
  let kept = await storage.persisted?.().catch(() => false);
  if (!kept) kept = await storage.persist?.().catch(() => false);
  const { usage = 0, quota = 0 } = await storage.estimate();
  state.replaceChildren(
    h("p", {}, kept
      ? "The browser has agreed to keep this app's records, even when the phone runs low on space."
      : "The browser may clear this app's records if the phone runs low on space. Sync often, " +
        "and add the app to your Home Screen, which makes browsers keep its records."),
    h("p", {}, `The app's records and files take ${size(usage)} of the ${size(quota)} this ` +
               "browser lets it use."),
  );
  if (quota && runningOut(usage, quota)) {
    root.append(h("div", { class: "nhsuk-warning-callout", "data-storage-warning": "" },
      h("h3", { class: "nhsuk-warning-callout__label" },
        h("span", { role: "text" }, h("span", { class: "nhsuk-u-visually-hidden" }, "Important: "),
          "This phone is running out of space for the app")),
      h("p", {}, "Send what is waiting while you have signal, then free up space on the phone " +
                 "(photos, videos, apps you do not use), or new records may not be kept.")));
  }
}
