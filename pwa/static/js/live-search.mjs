/**
 * The online caseload's search, as the worker types: the server's own page is asked again with
 * what is in the form, and its list put in place of this one. The rules stay the server's
 * (pwa/caseload_filter.py), each answer audits what it lists, and with no JavaScript the form's
 * "Show" button does the same. The offline caseload filters the phone's records itself.
 */
const WAIT_MS = 250; // typing "marg" asks once, not four times

/** Make a `data-module="app-live-search"` form fetch its results as the person types. */
export function liveSearch(form) {
  const results = document.getElementById(form.dataset.results);
  if (!results) return;
  // Said to screen readers after each answer: the list itself is replaced, so a live region
  // inside it would be new each time, and new live regions are not read out.
  const status = document.createElement("p");
  status.className = "nhsuk-u-visually-hidden";
  status.setAttribute("role", "status");
  form.after(status);
  let timer = null;
  let asked = 0;
  const ask = async () => {
    const params = new URLSearchParams(new FormData(form));
    for (const [name, value] of [...params]) if (!value) params.delete(name);
    if (params.get("order") === "name") params.delete("order"); // the default: a plain address
    // The form's own address (`form.action` would be this page's, query and all).
    const address = `${form.getAttribute("action") || location.pathname}${params.size ? `?${params}` : ""}`;
    const mine = ++asked;
    let fresh = null;
    try {
      const response = await fetch(address, { credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      fresh = response.ok ? page.getElementById(form.dataset.results) : null;
    } catch {
      // No signal: nothing to swap in.
    }
    if (mine !== asked) return; // a later answer is coming
    if (!fresh) {
      // No signal (the service worker answered with the offline shell), or not this page: go
      // there as "Show" would. Offline, the phone's own caseload then filters as they type.
      form.requestSubmit();
      return;
    }
    results.replaceChildren(...fresh.childNodes);
    history.replaceState(history.state, "", address);
    status.textContent = results.querySelector("p")?.textContent.trim() ?? "";
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(ask, WAIT_MS);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
}
