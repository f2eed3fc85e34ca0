/**
 * The keys that open this phone's records: set up, unlock with the PIN or the device key, lock.
 *
 * Kept in `meta` (local-store.mjs owns the schema), none of it a secret on its own:
 *  - `key_pin`: the data secret wrapped under the PIN's key, with the salt and iteration count;
 *  - `key_device`: the data secret wrapped under the server's device key, and that key's id;
 *  - `pin_tries`: wrong PINs in a row. After MAX_PIN_TRIES the PIN's copy is deleted, and only
 *    an online sign-in (which a revoked phone never gets) opens the records again;
 *  - `unlocked`: while unlocked, the working keys (non-extractable CryptoKeys) and the time they
 *    lock at, shared by the app's pages. Locking deletes it.
 * The PIN is never stored and never leaves the phone.
 */
import { deleteMeta, getMeta, setMeta } from "./local-store.mjs";
import {
  keyFromDevice, keyFromPin, newSalt, newSecret, PIN_ITERATIONS, SealBroken, unwrapSecret,
  workingKeys, wrapSecret,
} from "./seal.mjs";

export const MAX_PIN_TRIES = 5;
export const MIN_PIN_LENGTH = 6;
/** Fired on window when the phone locks or unlocks. */
export const LOCK_EVENT = "app:lock-changed";

/** The phone is locked: nothing sealed can be read or written until its person unlocks it. */
export class Locked extends Error {
  constructor() {
    super("This phone is locked. Unlock it with your PIN.");
  }
}

let held = null; // this page's copy of `unlocked`

function lockSettings() {
  const meta = document.querySelector?.('meta[name="app-lock"]')?.content;
  const settings = meta ? JSON.parse(meta) : {};
  return { idle: (settings.idle ?? 300) * 1000, hidden: (settings.hidden ?? 180) * 1000 };
}

/** Whether this phone has its records sealed: which copies of the data secret it keeps. */
export async function keyCopies() {
  return { pin: Boolean(await getMeta("key_pin")), device: (await getMeta("key_device")) ?? null };
}

/** Return the working keys, or throw Locked. */
export async function currentKeys() {
  const now = Date.now();
  if (!held || held.until <= now) {
    held = (await getMeta("unlocked")) ?? null;
  }
  if (!held) throw new Locked();
  if (held.until <= now) {
    await lock();
    throw new Locked();
  }
  return held;
}

/** Whether the records can be opened now. */
export async function isUnlocked() {
  try {
    await currentKeys();
    return true;
  } catch (error) {
    if (error instanceof Locked) return false;
    throw error;
  }
}

async function unlockWith(secret) {
  const keys = await workingKeys(secret);
  // Kept (extractable) only so the secret can be wrapped again, under a new device key.
  const holder = await crypto.subtle.importKey("raw", secret, "AES-GCM", true, ["encrypt"]);
  secret.fill(0);
  held = { ...keys, holder, until: Date.now() + lockSettings().idle };
  await setMeta("unlocked", held);
  await setMeta("pin_tries", 0);
  dispatchEvent(new CustomEvent(LOCK_EVENT, { detail: { locked: false } }));
  return held;
}

async function secretFromHolder() {
  const keys = await currentKeys();
  return new Uint8Array(await crypto.subtle.exportKey("raw", keys.holder));
}

/** Refuse a PIN too easy to guess; return why, or null. */
export function pinProblem(pin) {
  if (pin.length < MIN_PIN_LENGTH) return `Your PIN must be at least ${MIN_PIN_LENGTH} characters.`;
  if (/^(.)\1*$/.test(pin)) return "Your PIN must not be one character repeated.";
  if ("01234567890".includes(pin) || "09876543210".includes(pin)) {
    return "Your PIN must not be a run of digits like 123456.";
  }
  return null;
}

async function wrapUnderPin(secret, pin) {
  const problem = pinProblem(pin);
  if (problem) throw new Error(problem);
  const salt = newSalt();
  const wrapped = await wrapSecret(secret, await keyFromPin(pin, salt));
  return { ...wrapped, salt, iterations: PIN_ITERATIONS };
}

/**
 * First use on this phone: make the data secret, wrap it under the PIN and under the server's
 * device key (`device`: {id, key}), and unlock.
 */
export async function setUp(pin, device) {
  const secret = newSecret();
  const pinCopy = await wrapUnderPin(secret, pin);
  const deviceCopy = { id: device.id, ...(await wrapSecret(secret, await keyFromDevice(device.key))) };
  await setMeta("key_pin", pinCopy);
  await setMeta("key_device", deviceCopy);
  return unlockWith(secret);
}

/**
 * Unlock with the PIN. Returns {ok: true} or {ok: false, left}: the tries left before the PIN's
 * copy is deleted (0: it has been, and only an online sign-in opens the records now).
 */
export async function unlockWithPin(pin) {
  const copy = await getMeta("key_pin");
  if (!copy) return { ok: false, left: 0 };
  try {
    const secret = await unwrapSecret(copy, await keyFromPin(pin, copy.salt, copy.iterations));
    await unlockWith(secret);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof SealBroken)) throw error;
    const tries = ((await getMeta("pin_tries")) ?? 0) + 1;
    await setMeta("pin_tries", tries);
    if (tries >= MAX_PIN_TRIES) {
      await deleteMeta("key_pin");
      return { ok: false, left: 0 };
    }
    return { ok: false, left: MAX_PIN_TRIES - tries };
  }
}

/**
 * Open the records with the device key the server gave after an online sign-in (a forgotten
 * PIN), then wrap the secret under the new PIN. SealBroken if the key is not this phone's.
 */
export async function recoverWithDevice(device, newPin) {
  const copy = await getMeta("key_device");
  if (!copy || copy.id !== device.id) throw new SealBroken("The server no longer has this phone's key.");
  const secret = await unwrapSecret(copy, await keyFromDevice(device.key));
  await setMeta("key_pin", await wrapUnderPin(secret, newPin));
  return unlockWith(secret);
}

/** Check that a device key opens this phone's records, without unlocking. */
export async function deviceKeyOpens(device) {
  const copy = await getMeta("key_device");
  if (!copy || copy.id !== device.id) return false;
  try {
    (await unwrapSecret(copy, await keyFromDevice(device.key))).fill(0);
    return true;
  } catch (error) {
    if (error instanceof SealBroken) return false;
    throw error;
  }
}

/** While unlocked: keep the secret under a device key the server has just given (a new one). */
export async function keepUnderDevice(device) {
  const secret = await secretFromHolder();
  const copy = { id: device.id, ...(await wrapSecret(secret, await keyFromDevice(device.key))) };
  secret.fill(0);
  await setMeta("key_device", copy);
}

/** Lock now: the working keys go from this page and from storage. */
export async function lock() {
  const was = held;
  held = null;
  await deleteMeta("unlocked");
  if (was) dispatchEvent(new CustomEvent(LOCK_EVENT, { detail: { locked: true } }));
}

/** Move the lock time, unless another page has locked meanwhile (then stay locked). */
async function lockAt(until) {
  const stored = await getMeta("unlocked");
  // Locked while this read was under way (Lock now, tapped: the tap is activity too): stay
  // locked. `held` is cleared at once by lock(), and this write is queued after its delete
  // only if it starts now, so nothing can put the keys back.
  if (!stored || !held) {
    held = null;
    return;
  }
  held = { ...stored, until };
  await setMeta("unlocked", held);
}

/** The person did something: put the idle lock back by the idle time (not on every keystroke). */
export async function touch() {
  if (!held) return;
  const idle = lockSettings().idle;
  const until = Date.now() + idle;
  if (until - held.until < Math.min(15_000, idle / 4)) return;
  await lockAt(until);
}

/** The app is hidden: lock if it stays hidden longer than the hidden time. */
export async function hidden() {
  if (!held) return;
  await lockAt(Math.min(held.until, Date.now() + lockSettings().hidden));
}

/** Forget this page's copy (another page may have locked or unlocked). */
export function forgetHeld() {
  held = null;
}
