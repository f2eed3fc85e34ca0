/**
 * The status line: what is waiting to send, what needs attention, and when the phone last
 * synced. It says only what IndexedDB and the last sync say, so it is always the truth.
 */
import { formatDate, h } from "./dom.mjs";
import { STATUS_EVENT } from "./sync-scheduler.mjs";

function records(count) {
  return count === 1 ? "1 record" : `${count} records`;
}

/** Draw the status line into `element` each time the sync state changes. */
export class SyncStatus {
  constructor(element) {
    this.element = element;
    addEventListener(STATUS_EVENT, (event) => this.render(event.detail));
  }

  render({ user, pending, attention, lastSync, needsSignIn, last }) {
    if (!user) {
      this.element.hidden = true;
      return;
    }
    const lines = [];
    if (needsSignIn) {
      lines.push(h("a", { href: "/sign-in" }, "Sign in again"),
                 ` to send ${records(pending + attention)}. Nothing on this phone is lost.`);
    } else if (pending) {
      const why = last?.reason === "offline" ? " when there is signal" : "";
      lines.push(`${records(pending)} waiting to send${why}.`);
    } else {
      lines.push("Everything saved on this phone has been sent.");
    }
    if (attention) {
      lines.push(" ", h("a", { href: "/sync-status" },
                        `${records(attention)} ${attention === 1 ? "needs" : "need"} attention`), ".");
    }
    lines.push(" ", lastSync ? `Last synced ${formatDate(lastSync, { time: true })}.`
                             : "Not synced yet.");
    this.element.replaceChildren(h("p", { class: "nhsuk-body-s" }, lines));
    this.element.hidden = false;
  }
}
