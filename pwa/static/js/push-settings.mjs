/**
 * Notifications on this phone: the Settings page's on/off control, and forgetting the phone's
 * subscription when a person signs out.
 *
 * The browser asks for permission only when the person taps "Turn on notifications", never on
 * page load. The subscription goes to the server with this phone's device token (the same one
 * the sync uses), so the server knows whose reminders this phone should get.
 */
import { getMeta } from "./local-store.mjs";

const STATE = {
  on: "Notifications are on for this phone.",
  off: "Notifications are off for this phone.",
  blocked: "Notifications are blocked for this app. To get them, allow notifications for this " +
    "site in your browser's or phone's settings, then come back to this page.",
  unsupported: "This browser cannot show notifications from the app.",
  homeScreen: "On an iPhone or iPad, add this app to your Home Screen first (see below), then " +
    "open it from there to turn notifications on.",
  notEnrolled: "This phone is not set up for the app yet. Reload this page with signal, then " +
    "try again.",
  failed: "Notifications could not be turned on. Check you have signal and try again.",
  signIn: "Sign in again on this phone, then try again.",
};

/** Wire up the control in `root` (the Settings page's `app-push-settings` module). */
export async function startPushSettings(root) {
  const state = root.querySelector("[data-push-state]");
  const on = root.querySelector("[data-push-on]");
  const off = root.querySelector("[data-push-off]");
  const show = (text, control = null) => {
    state.textContent = text;
    on.hidden = control !== "on";
    off.hidden = control !== "off";
    on.disabled = off.disabled = false;
  };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    const appleMobile = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    show(appleMobile && !navigator.standalone ? STATE.homeScreen : STATE.unsupported);
    return;
  }
  const registration = await navigator.serviceWorker.ready;

  async function refresh() {
    if (Notification.permission === "denied") return show(STATE.blocked);
    const subscription = await registration.pushManager.getSubscription();
    if (!subscription || Notification.permission !== "granted") return show(STATE.off, "on");
    // Tell the server again: it may have dropped it, or it may belong to whoever used this
    // phone before. Saving is idempotent.
    const answer = await saveSubscription(subscription).catch(() => null);
    if (answer === "sign-in") return show(STATE.signIn);
    return show(STATE.on, "off");
  }

  on.addEventListener("click", async () => {
    on.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return await refresh();
      const key = await fetch("/api/v1/push/key").then((response) => response.json());
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: fromBase64Url(key.public_key),
      });
      const answer = await saveSubscription(subscription);
      if (answer === "not-enrolled") return show(STATE.notEnrolled, "on");
      if (answer === "sign-in") return show(STATE.signIn, "on");
      show(STATE.on, "off");
    } catch (error) {
      console.warn("Could not turn notifications on:", error);
      show(STATE.failed, "on");
    }
  });

  off.addEventListener("click", async () => {
    off.disabled = true;
    await forgetPushSubscription();
    show(STATE.off, "on");
  });

  await refresh();
}

/**
 * After this phone enrols again (its token had ended: a sign-out elsewhere, a new password),
 * give the server back the subscription the browser still holds, so reminders carry on.
 */
export async function restoreSubscription() {
  if (!("serviceWorker" in navigator) || globalThis.Notification?.permission !== "granted") return;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager?.getSubscription();
  if (subscription) await saveSubscription(subscription);
}

/**
 * Send a subscription to the server for this phone. Returns "saved", "not-enrolled" (no device
 * token yet) or "sign-in" (the token has expired or been revoked); throws with no signal.
 */
export async function saveSubscription(subscription) {
  const token = await getMeta("token");
  if (!token) return "not-enrolled";
  const response = await fetch("/api/v1/push/subscriptions", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(subscription.toJSON()),
  });
  if (response.status === 401 || response.status === 403) return "sign-in";
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  return "saved";
}

/**
 * Stop this phone's notifications: unsubscribe in the browser and tell the server (best effort:
 * with no signal, the server learns when the push service next answers 410). Used by the
 * Settings page and by signing out, so the next person to use the phone gets nobody's reminders.
 */
export async function forgetPushSubscription() {
  const registration = await navigator.serviceWorker?.getRegistration();
  const subscription = await registration?.pushManager?.getSubscription();
  if (!subscription) return;
  const token = await getMeta("token");
  if (token) {
    await fetch("/api/v1/push/subscriptions", {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ endpoint: subscription.endpoint }),
    }).catch(() => undefined);
  }
  await subscription.unsubscribe().catch(() => false);
}

function fromBase64Url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (character) => character.charCodeAt(0));
}
