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

/** A copy of the server's "If you need help" panel, or null if the shell has none. */
export function helpPanel(doc = document) {
  const template = doc.getElementById("app-help-panel");
  return template ? template.content.cloneNode(true) : null;
}
