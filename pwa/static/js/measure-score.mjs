/**
 * The check-in form says each measure's score as soon as its last question is answered, in its
 * own section, by the rules the server scores with (measures.mjs) and in the words of the
 * record's timeline (timeline.mjs `scoreWords`). Online the page carries the rules; offline the
 * app shell does. A measure answered in part says nothing: the form asks for the rest.
 */
import { MeasureError, score } from "./measures.mjs";
import { scoreWords } from "./timeline.mjs";

/** Say each finished measure's score in `form`, now and whenever an answer changes. */
export function showScoresAsAnswered(form, rules) {
  const update = () => {
    for (const section of form.querySelectorAll("[data-measure]")) {
      const key = section.dataset.measure;
      const answers = {};
      let complete = true;
      for (const item of rules.measures[key]?.items ?? []) {
        const chosen = form.querySelector(`input[name="${key}__${item.key}"]:checked`);
        if (chosen) answers[item.key] = Number(chosen.value); else complete = false;
      }
      let words = "";
      if (complete) {
        try {
          words = `Score: ${scoreWords({ [key]: score(key, answers, rules) })}`;
        } catch (error) {
          if (!(error instanceof MeasureError)) throw error; // the server will say what is wrong
        }
      }
      const shown = section.querySelector(".app-measure__score");
      if (shown && shown.textContent !== words) shown.textContent = words;
    }
  };
  form.addEventListener("change", update);
  update();
}
