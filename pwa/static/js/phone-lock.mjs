/**
 * The phone's lock, as its person meets it: choose a PIN at first sign-in, unlock with it, get a
 * new one after a forgotten PIN by typing their password (with signal), and lock again when
 * idle or hidden long. Locking also holds the page session's pages back on the server
 * (POST /session/lock); unlocking releases them with the phone's device token.
 *
 * While the page decides, <html class="app-lock-pending"> keeps every patient detail the server
 * drew out of sight (app.css); locked, `main` is emptied, and unlocking reloads the page.
 */
import { h } from "./dom.mjs";
import {
  currentKeys, forgetHeld, hidden, isUnlocked, keyCopies, keepUnderDevice, lock, LOCK_EVENT,
  Locked, MAX_PIN_TRIES, pinProblem, recoverWithDevice, setUp, touch, unlockWithPin,
} from "./keyring.mjs";
import { getMeta, sealPlainRecords, wipe } from "./local-store.mjs";
import {
  EnrolRefused, finishEnrolment, lockPageSession, makeRoomFor, requestEnrolment, unlockPageSession,
} from "./sync-client.mjs";

const CHECK_EVERY_MS = 5_000;

function deviceName() {
  const platform = navigator.userAgentData?.platform || "Phone";
  return `${platform}, enrolled ${new Date().toLocaleDateString("en-GB")}`;
}

function main() {
  return document.querySelector("main") || document.body;
}

/** Hide the page behind a panel titled `heading`; returns the panel. */
function showPanel(heading, ...children) {
  document.title = `${heading} – Link worker`;
  // "Get help now" stays in reach of someone who cannot open the phone (its page is public).
  children.unshift(h("p", { class: "app-get-help" }, h("a", { href: "/help" }, "Get help now")),
                   h("h1", {}, heading));
  document.documentElement.classList.add("app-locked");
  document.querySelector(".app-lock")?.remove();
  const panel = h("div", { class: "app-lock nhsuk-main-wrapper", role: "main" }, ...children);
  main().before(panel);
  panel.querySelector("input")?.focus();
  return panel;
}

function hidePanel() {
  document.querySelector(".app-lock")?.remove();
  document.documentElement.classList.remove("app-locked", "app-lock-pending");
}

function errorMessage(id, text) {
  return h("span", { class: "nhsuk-error-message", id },
    h("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), text);
}

function field(id, label, { hint, type = "password", autocomplete = "off", width = 10 } = {}) {
  return h("div", { class: "nhsuk-form-group" },
    h("label", { class: "nhsuk-label", for: id }, label),
    hint ? h("div", { class: "nhsuk-hint", id: `${id}-hint` }, hint) : null,
    h("input", { class: `nhsuk-input nhsuk-input--width-${width}`, id, name: id, type,
                 autocomplete, spellcheck: "false",
                 "aria-describedby": hint ? `${id}-hint` : undefined }));
}

/** Show one error, NHS.UK style: a summary at the top, the message by the field; old ones go. */
function showError(form, input, text) {
  for (const group of form.querySelectorAll(".nhsuk-form-group--error")) {
    group.classList.remove("nhsuk-form-group--error");
    group.querySelector(".nhsuk-error-message")?.remove();
    group.querySelector(".nhsuk-input--error")?.classList.remove("nhsuk-input--error");
  }
  form.querySelector(".nhsuk-error-summary")?.remove();
  const group = input.closest(".nhsuk-form-group");
  group.classList.add("nhsuk-form-group--error");
  input.classList.add("nhsuk-input--error");
  input.before(errorMessage(`${input.id}-error`, text));
  input.setAttribute("aria-describedby", `${input.id}-error`);
  const summary = h("div", { class: "nhsuk-error-summary", role: "alert", tabindex: "-1" },
    h("h2", { class: "nhsuk-error-summary__title" }, "There is a problem"),
    h("div", { class: "nhsuk-error-summary__body" },
      h("ul", { class: "nhsuk-list nhsuk-error-summary__list" },
        h("li", {}, h("a", { href: `#${input.id}` }, text)))));
  form.prepend(summary);
  if (!document.title.startsWith("Error: ")) document.title = `Error: ${document.title}`;
  input.focus();
}

/** Ask for a new PIN (twice); resolves with it. */
function askNewPin(heading, ...explanation) {
  return new Promise((resolve) => {
    const form = h("form", { novalidate: true },
      field("new-pin", "Choose a PIN", { hint: "At least 6 numbers or letters. You will use it " +
                                               "to open your records on this phone." }),
      field("confirm-pin", "Type the PIN again"),
      h("button", { class: "nhsuk-button", type: "submit" }, "Save PIN"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const [pin, again] = [form.elements["new-pin"], form.elements["confirm-pin"]];
      if (!pin.value) return showError(form, pin, "Enter a PIN");
      const problem = pinProblem(pin.value);
      if (problem) return showError(form, pin, problem);
      if (pin.value !== again.value) return showError(form, again, "The two PINs are not the same.");
      form.querySelector("button").disabled = true;
      resolve(pin.value);
    });
    showPanel(heading, ...explanation.map((text) => h("p", {}, text)), form);
  });
}

function say(heading, ...lines) {
  showPanel(heading, ...lines.map((line) => (typeof line === "string" ? h("p", {}, line) : line)));
}

/** A way back to the PIN (a reload draws the lock again). */
function backToPin() {
  return h("p", {}, h("a", { href: location.href }, "Enter your PIN instead"));
}

/** A warning at the top of the page that does not hide it. */
function banner(text, ...children) {
  main().prepend(h("div", { class: "nhsuk-warning-callout" }, h("p", {}, text), ...children));
}

/** Send the person to sign in again (the phone keeps everything), to carry on here after. */
function signInAgainLink(text) {
  const next = location.pathname + location.search;
  return h("a", { class: "nhsuk-button", href: `/sign-in?again=1&next=${encodeURIComponent(next)}` },
           text);
}

/**
 * A forgotten PIN: the server gives this phone's device key to its person when they type their
 * password now (never on the strength of a session: whoever holds the phone may hold that too).
 * Then they choose a new PIN. Resolves true once unlocked; false when the panel says why not.
 */
function recover() {
  return new Promise((resolve) => {
    const form = h("form", { novalidate: true },
      field("recover-username", "Username", { type: "text", autocomplete: "username", width: 20 }),
      field("recover-password", "Password", { autocomplete: "current-password", width: 20 }),
      h("button", { class: "nhsuk-button", type: "submit" }, "Continue"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [username, password] = [form.elements["recover-username"], form.elements["recover-password"]];
      if (!username.value) return showError(form, username, "Enter your username");
      if (!password.value) return showError(form, password, "Enter your password");
      form.querySelector("button").disabled = true;
      const copies = await keyCopies();
      let body;
      try {
        body = await requestEnrolment(deviceName(), copies.device?.id,
                                      { username: username.value, password: password.value });
      } catch (error) {
        form.querySelector("button").disabled = false;
        password.value = "";
        if (error instanceof EnrolRefused && error.code === "device_revoked") {
          await wipe().catch(() => undefined);
          say("This phone has been signed out", "Its records have been removed from it. " +
              "Anything already sent is safe with your practice.");
          return resolve(false);
        }
        return showError(form, error.code === "offline" ? username : password, error.message);
      }
      if (body.user.id !== ((await getMeta("owner")) ?? body.user.id)) {
        return showError(form, username, "This phone holds someone else's records. " +
                                         "They need to sign in here.");
      }
      if (body.phone_key.id !== copies.device?.id) {
        say("This phone's records cannot be opened without its PIN",
            "The server no longer has this phone's key (it may have been restored from a backup). " +
            "Records already sent are safe with your practice.", backToPin());
        return resolve(false);
      }
      const pin = await askNewPin("Choose a new PIN", "Everything on this phone is still here.");
      await recoverWithDevice(body.phone_key, pin);
      await finishEnrolment(body);
      resolve(true);
    });
    showPanel("Forgotten your PIN?",
              h("p", {}, "Sign in with your password to choose a new PIN. This needs signal. " +
                         "Nothing on this phone is removed."), form, backToPin());
  });
}

/** Show the unlock screen until the phone is unlocked; resolves true then. */
function unlockScreen() {
  return new Promise((resolve) => {
    const draw = async () => {
      const copies = await keyCopies();
      const forgot = (text) => h("p", {}, h("button", {
        type: "button", class: "nhsuk-button nhsuk-button--secondary",
        onclick: async () => resolve(await recover()),
      }, text));
      if (!copies.pin) {
        say("Sign in to open your records",
            `After ${MAX_PIN_TRIES} wrong PINs this phone's records open only after you sign in ` +
            "with your password, with signal. Nothing on this phone is removed.",
            forgot("Sign in with your password"));
        return;
      }
      const form = h("form", { novalidate: true },
        field("pin", "PIN"), h("button", { class: "nhsuk-button", type: "submit" }, "Unlock"));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const input = form.elements.pin;
        if (!input.value) return showError(form, input, "Enter your PIN"); // not a try
        form.querySelector("button").disabled = true;
        const outcome = await unlockWithPin(input.value);
        form.querySelector("button").disabled = false;
        if (outcome.ok) return resolve(true);
        if (outcome.left === 0) return draw();
        input.value = "";
        showError(form, input, `That is not your PIN. ${outcome.left} ${outcome.left === 1 ? "try" : "tries"} left.`);
      });
      showPanel("This phone is locked",
                h("p", {}, "Enter your PIN to see your records."), form, forgot("Forgotten your PIN?"));
    };
    draw();
  });
}

/** Enrol (again) an unlocked phone whose token is missing or ended, keeping its device key. */
async function enrolIfNeeded() {
  if ((await getMeta("token")) && !(await getMeta("needs_sign_in"))) return true;
  const copies = await keyCopies();
  const body = await requestEnrolment(deviceName(), copies.device?.id);
  if (body.phone_key.id !== copies.device?.id) await keepUnderDevice(body.phone_key);
  await finishEnrolment(body);
  return true;
}

/**
 * First sign-in on this phone: choose a PIN, enrol, make the keys, and seal whatever an earlier
 * version of the app kept in plain.
 */
async function firstUse() {
  // Enrol first: if the server wants a fresher sign-in, the person has not typed a PIN for
  // nothing. The answer (token and device key) waits in memory while they choose the PIN.
  const body = await requestEnrolment(deviceName());
  const pin = await askNewPin("Choose a PIN for this phone",
    "Your records are kept on this phone so you can use the app with no signal. A PIN keeps " +
    "them safe if the phone is lost. Do not use your phone's own PIN.");
  // Another tab may have set the phone up meanwhile: its keys then stand (making new ones
  // would leave what it sealed unopenable), and this page starts again under them.
  const setUpHere = async () => {
    if ((await keyCopies()).device) return false;
    await setUp(pin, body.phone_key);
    await sealPlainRecords();
    await finishEnrolment(body);
    return true;
  };
  const done = navigator.locks ? await navigator.locks.request("link-worker-keys", setUpHere)
    : await setUpHere();
  if (!done) {
    location.reload();
    await new Promise(() => {});
  }
  await navigator.storage?.persist?.().catch(() => false);
  return true;
}

/**
 * Open this phone's records for the page: resolves true when they are open (and the phone
 * enrolled, on a signed-in page), false when this page works without them. `userId` is the
 * signed-in person of an app that keeps records on the phone, or null (the offline shell).
 */
export async function openPhone(userId) {
  try {
    if (userId) {
      const room = await makeRoomFor(userId);
      if (!room.ok) {
        hidePanel();
        return { ok: false, message: `${room.name} has records not yet sent from this phone. ` +
                                     "They need to sign in here and sync first." };
      }
    }
    const copies = await keyCopies();
    if (!copies.device) {
      if (!userId) {
        hidePanel();
        return { ok: false };
      }
      await firstUse();
    } else if (!(await isUnlocked())) {
      hideEverything();
      await lockPageSession(); // locked while offline, perhaps: the server holds pages back too
      if (!(await unlockScreen())) return { ok: false, shown: true };
      await unlockPageSession();
      location.reload(); // draw the page again (and enrol if need be), now that records open
      return new Promise(() => {});
    }
    if (userId) await enrolIfNeeded();
    if (document.querySelector('meta[name="app-session-locked"]') && (await unlockPageSession())) {
      location.reload(); // the page itself, now that the server shows it again
      await new Promise(() => {});
    }
    hidePanel();
    watchIdle();
    return { ok: true };
  } catch (error) {
    if (error instanceof EnrolRefused && error.code === "device_revoked") {
      await wipe().catch(() => undefined);
      hidePanel();
      return { ok: false, message: "This phone has been signed out. Its records have been removed." };
    }
    // The phone could not be enrolled (again): the page is still the person's to use, and
    // records already open stay open.
    hidePanel();
    const open = await isUnlocked().catch(() => false);
    if (open) watchIdle();
    if (error instanceof EnrolRefused && error.code === "sign_in_again") {
      banner("Sign in again to keep your records on this phone. Nothing on it is removed.",
             signInAgainLink("Sign in again"));
      return { ok: open };
    }
    return { ok: open, message: `This phone cannot keep your records offline yet. ${error.message}` };
  }
}

let watching = false;

/** Lock after the idle time, or the hidden time once the app is hidden. */
function watchIdle() {
  if (watching) return;
  watching = true;
  for (const type of ["pointerdown", "keydown", "input", "scroll"]) {
    addEventListener(type, () => touch().catch(() => undefined), { passive: true, capture: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") hidden().catch(() => undefined);
    else check();
  });
  const check = async () => {
    forgetHeld(); // another page may have locked, or put the lock back
    try {
      await currentKeys();
    } catch (error) {
      if (!(error instanceof Locked)) throw error;
      lockedNow();
    }
  };
  setInterval(check, CHECK_EVERY_MS);
  addEventListener(LOCK_EVENT, (event) => {
    if (event.detail.locked) lockedNow();
  });
}

let lockedShown = false;

/** Take every patient detail off the page: its content, and a title that may name someone. */
function hideEverything() {
  main().replaceChildren();
  document.title = "This phone is locked – Link worker";
}

async function lockedNow() {
  if (lockedShown) return;
  lockedShown = true;
  hideEverything();
  await lockPageSession();
  if (await unlockScreen()) {
    await unlockPageSession();
    location.reload();
  }
}
