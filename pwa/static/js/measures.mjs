/**
 * Score a check-in's measures on the phone exactly as the server does (pwa/measures.py
 * `score_all`), so a check-in saved offline shows its scores before it is sent. Every number
 * (the ONS4 bands, the SWEMWBS conversion table, the UCLA-3 cut-off) comes from the rules the
 * server puts in the app shell (`measures_data()`): none is written here.
 */

/** An answer set that cannot be scored; `item` names the offending item (or is null). */
export class MeasureError extends Error {
  constructor(message, item = null) {
    super(message);
    this.name = "MeasureError";
    this.item = item;
  }
}

/** Return the scoring rules the app shell on this page carries. */
export function servedRules(doc = document) {
  return JSON.parse(doc.getElementById("app-vocabulary").textContent).measure_rules;
}

function validated(measure, answers) {
  if (!answers || typeof answers !== "object" || Array.isArray(answers)) {
    throw new MeasureError(`${measure.key} answers must be an object of item: answer`);
  }
  const keys = measure.items.map((item) => item.key);
  for (const key of Object.keys(answers)) {
    if (!keys.includes(key)) throw new MeasureError(`${measure.key} has no item called ${key}`, key);
  }
  const clean = {};
  for (const key of keys) {
    if (!(key in answers)) throw new MeasureError(`${measure.key} is missing an answer for ${key}`, key);
    const value = answers[key];
    if (!Number.isInteger(value)) {
      throw new MeasureError(`${measure.key} answer for ${key} must be a whole number`, key);
    }
    if (value < measure.low || value > measure.high) {
      throw new MeasureError(
        `${measure.key} answer for ${key} must be from ${measure.low} to ${measure.high}`, key);
    }
    clean[key] = value;
  }
  return clean;
}

const total = (answers) => Object.values(answers).reduce((sum, value) => sum + value, 0);

/** Return the ONS threshold band for one ONS4 answer. */
export function ons4Band(rules, item, value) {
  const found = rules.ons4_bands[item].find((band) => band.from <= value && value <= band.to);
  if (!found) throw new MeasureError(`ons4 answer for ${item} is outside every band`, item);
  return found.band;
}

const SCORERS = {
  ons4: (rules, answers) => Object.fromEntries(Object.entries(answers).map(([item, value]) =>
    [item, { value, band: ons4Band(rules, item, value) }])),
  swemwbs: (rules, answers) => {
    const raw = total(answers);
    return { raw, metric: rules.swemwbs_metric.find((row) => row.raw === raw).metric };
  },
  ucla3: (rules, answers) => {
    const sum = total(answers);
    return { total: sum, lonely: sum >= rules.ucla3_lonely_from };
  },
};

/** Score one measure's complete set of answers, as `pwa.measures.score` does. */
export function score(measureKey, answers, rules) {
  const measure = Object.hasOwn(rules.measures, measureKey) ? rules.measures[measureKey] : null;
  if (!measure) throw new MeasureError(`there is no measure called ${measureKey}`);
  return SCORERS[measureKey](rules, validated(measure, answers));
}

/** Score every measure in a check-in, as `pwa.measures.score_all` does. */
export function scoreAll(measures, rules) {
  if (!measures || typeof measures !== "object" || !Object.keys(measures).length) {
    throw new MeasureError("a check-in needs at least one complete measure");
  }
  return Object.fromEntries(Object.entries(measures).map(([key, answers]) =>
    [key, score(key, answers, rules)]));
}

/**
 * Return a check-in record's scores: the server's when it has scored it, else the phone's
 * own from its answers, or null when they cannot be scored (the server will say why).
 */
export function scoresOf(checkIn, rules) {
  if (checkIn.data.scores) return checkIn.data.scores;
  try {
    return scoreAll(checkIn.data.measures, rules);
  } catch (error) {
    if (error instanceof MeasureError) return null;
    throw error;
  }
}
