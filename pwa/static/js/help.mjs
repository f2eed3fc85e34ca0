/**
 * "If you need help" on the phone: which answers crossed the practice's help thresholds,
 * exactly as pwa.measures.help_reasons decides (tests/test_browser_help.py holds the two to
 * each other), from the thresholds the app shell carries (#app-help-thresholds). The panel's
 * markup is the server's own (templates/_help_panel.html), kept in the shell as a template.
 */

/** Return the thresholds the shell carries, or null on a page without them. */
export function servedThresholds(doc = document) {
  const element = doc.getElementById("app-help-thresholds");
  return element ? JSON.parse(element.textContent) : null;
}

const isInt = (value) => Number.isInteger(value);

/** Name what in a scored check-in crossed a threshold, in the server's order. */
export function helpReasons(scores, thresholds) {
  const found = [];
  const ons4 = scores?.ons4 || {};
  for (const item of thresholds.ons4_low_items) {
    const value = ons4[item]?.value;
    if (isInt(value) && value <= thresholds.ons4_low_at_most) found.push(item);
  }
  const anxiety = ons4.anxiety?.value;
  if (isInt(anxiety) && anxiety >= thresholds.anxiety_high_from) found.push("anxiety");
  const metric = scores?.swemwbs?.metric;
  if (typeof metric === "number" && metric < thresholds.swemwbs_below) found.push("swemwbs");
  const total = scores?.ucla3?.total;
  if (isInt(total) && total >= thresholds.ucla3_lonely_from) found.push("ucla3");
  return found;
}

/** The pages kept whole for offline use (pwa/views/help.py PUBLIC_PAGES). */
export const KEPT_WHOLE = ["/help", "/about-link-workers"];
const CONTACT = "app-practice-contact";

/** A copy of the server's "If you need help" panel, or null if the shell has none; with the
 * practice's latest words for how to reach it, if this phone has fetched them since. */
export function helpPanel(doc = document) {
  const template = doc.getElementById("app-help-panel");
  if (!template) return null;
  const panel = template.content.cloneNode(true);
  const latest = localStorage.getItem(CONTACT);
  const line = panel.querySelector("[data-app-practice-contact]");
  if (latest && line) line.textContent = latest;
  return panel;
}

/**
 * Keep the practice's words on this phone up to date: the service worker keeps the pages
 * from when it was installed, so an admin's edit would otherwise wait for the next release.
 * Once a session, with signal: fetch each kept page without cookies (as the worker does: no
 * one's name in it), put it in the worker's cache, and note the practice's contact line for
 * the offline panel. Nothing here holds patient data.
 */
export async function refreshKeptPages() {
  if (!("caches" in window) || !navigator.onLine || sessionStorage.getItem("app-kept-fresh")) return;
  const names = (await caches.keys()).filter((name) => name.startsWith("lw-shell-"));
  if (!names.length) return;
  for (const path of KEPT_WHOLE) {
    // The query keeps the worker from answering with its own (older) copy.
    const response = await fetch(`${path}?fresh=1`, { credentials: "omit", cache: "no-store" });
    if (!response.ok) return;
    for (const name of names) await (await caches.open(name)).put(path, response.clone());
    if (path === "/help") {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const contact = page.querySelector("[data-app-practice-contact]")?.textContent.trim();
      if (contact) localStorage.setItem(CONTACT, contact);
    }
  }
  sessionStorage.setItem("app-kept-fresh", "yes");
}
