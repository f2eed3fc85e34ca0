/**
 * The sync client: enrol this device, push the outbox in batches, pull the feed by cursor.
 * Nothing leaves the outbox until the server says `applied` or `duplicate`.
 */
import {
  acknowledge, applyFeed, changesToSend, getMeta, heldRecords, markSent, outboxCounts, sendAgain,
  setMeta, wipe,
} from "./local-store.mjs";
import { isUnlocked, keyCopies } from "./keyring.mjs";
import { forgetPushSubscription } from "./push-settings.mjs";

const BATCH = 500;

/** Enrolment refused: `code` is the API's (sign_in_again, device_revoked, ...) or "offline". */
export class EnrolRefused extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * Ask the server to enrol this phone: from a signed-in page (a sign-in less than an hour old),
 * or with `credentials` ({username, password}) typed in just now. The answer carries a new token
 * and the phone's device key (the same one again for `phoneKeyId`, if the server still has it).
 * Nothing is stored here; finishEnrolment() keeps the token once the phone is unlocked, so it
 * is only ever kept sealed.
 */
export async function requestEnrolment(name, phoneKeyId = null, credentials = null) {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
  let response;
  try {
    response = await fetch("/api/v1/devices", {
      method: "POST",
      headers: credentials ? { "Content-Type": "application/json" }
        : { "Content-Type": "application/json", "X-CSRFToken": csrf || "" },
      body: JSON.stringify({ name, ...(phoneKeyId ? { phone_key_id: phoneKeyId } : {}),
                             ...(credentials || {}) }),
      credentials: credentials ? "omit" : "same-origin",
    });
  } catch {
    throw new EnrolRefused("offline", "This needs signal. Try again when you are connected.");
  }
  if (response.status !== 201) {
    const error = await response.json().then((body) => body.error).catch(() => null);
    throw new EnrolRefused(error?.code || `http_${response.status}`,
                           error?.message || `The server answered ${response.status}.`);
  }
  return response.json();
}

/**
 * Tell the server this page's session may show pages again: the phone has just been unlocked.
 * Its sealed device token is the proof. Best effort: with no signal there is nothing to unlock.
 */
export async function unlockPageSession() {
  const token = await getMeta("token").catch(() => null);
  if (!token) return false;
  try {
    const response = await fetch("/api/v1/session/unlock", {
      method: "POST", headers: { Authorization: `Bearer ${token}` }, credentials: "same-origin",
    });
    return response.ok && (await response.json()).unlocked;
  } catch {
    return false;
  }
}

/** Tell the server the phone has locked: this page's session shows no page until unlocked. */
export async function lockPageSession() {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
  if (!csrf) return;
  await fetch("/session/lock", {
    method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
  }).catch(() => undefined);
}

/** Keep an enrolment's token and person (sealed: the phone must be unlocked). */
export async function finishEnrolment(body) {
  const owner = await getMeta("owner");
  if (owner && owner !== body.user.id) throw new Error("This phone holds someone else's records.");
  await setMeta("token", body.token);
  await setMeta("user", body.user);
  await setMeta("owner", body.user.id);
  await setMeta("needs_sign_in", false);
}

/**
 * Before someone else uses this phone: never show them the last person's records. Refuses
 * (returns the last person's waiting count) while that person still has records to send.
 */
export async function makeRoomFor(userId) {
  const owner = await getMeta("owner");
  if (!owner || owner === userId) return { ok: true };
  const waiting = await outboxCounts();
  if (waiting.pending + waiting.attention > 0) {
    // Their name (never a patient's) if the phone is open; "Someone else" if it is locked.
    const name = (await isUnlocked()) ? (await getMeta("user"))?.display_name : null;
    return { ok: false, waiting, name: name || "Someone else" };
  }
  await forgetPushSubscription().catch(() => undefined); // their reminders must not come here
  await wipe();
  return { ok: true };
}

/**
 * Send what is waiting and fetch what changed, until both are done.
 * Returns {ok, reason?, changed?, pending, attention}; a failure leaves every record where it
 * was. `changed` counts what a successful sync sent and received (0: nothing new).
 * One sync at a time across this phone's tabs (Web Locks, where the browser has them).
 */
export async function syncNow() {
  if (navigator.locks) return navigator.locks.request("link-worker-sync", syncOnce);
  return syncOnce();
}

/**
 * Sign this phone out: only once nothing is waiting, unless the person has agreed to lose it.
 * Returns {ok: false, waiting} when records would be lost and `force` was not given.
 */
export async function signOutDevice({ force = false } = {}) {
  const waiting = await outboxCounts();
  if (waiting.pending + waiting.attention > 0 && !force) return { ok: false, waiting };
  await forgetPushSubscription().catch(() => undefined);
  const token = (await isUnlocked()) ? await getMeta("token") : null;
  if (token) {
    // Best effort: with no signal the token stays valid until it expires or an admin revokes it.
    await fetch("/api/v1/devices/current", {
      method: "DELETE", headers: { Authorization: `Bearer ${token}` },
    }).catch(() => undefined);
  }
  await wipe();
  return { ok: true };
}

/** Return what the status line shows: counts, last successful sync, and who this phone is for. */
export async function syncState() {
  const unlocked = await isUnlocked();
  return {
    ...(await outboxCounts()),
    lastSync: (await getMeta("last_sync")) ?? null,
    needsSignIn: Boolean(await getMeta("needs_sign_in")),
    locked: !unlocked && Boolean((await keyCopies()).device),
    user: unlocked ? ((await getMeta("user")) ?? null) : null,
  };
}

async function errorCode(response) {
  try {
    return (await response.json()).error?.code;
  } catch {
    return undefined;
  }
}

/**
 * Ask the restored server which of the records this phone holds it lacks, or has only in an
 * older version (CouchDB's `_revs_diff`), and queue those to be sent again. A patient's phone
 * asks only about the check-ins they made themselves: the rest it holds only in part. Returns
 * false if the server could not be asked (the next sync asks again).
 */
async function recoverAfterRestore(token) {
  const user = await getMeta("user");
  // A patient's own check-in goes back from their own phone, as theirs: sent from a worker's
  // phone it would be recorded as the worker's. A patient's phone holds the rest only in part.
  const ownCheckIn = (record) => record.type === "checkin" && record.data?.source === "self";
  const held = (await heldRecords()).filter((record) =>
    (user?.role === "patient" ? ownCheckIn(record) : !ownCheckIn(record)));
  const missing = [];
  const behind = [];
  for (let start = 0; start < held.length; start += BATCH) {
    const records = held.slice(start, start + BATCH)
      .map(({ id, type, version }) => ({ id, type, version: version ?? null }));
    try {
      const response = await fetch("/api/v1/sync/held", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ records }),
      });
      if (!response.ok) return false;
      const answer = await response.json();
      missing.push(...answer.missing);
      behind.push(...(answer.behind || []));
    } catch {
      return false;
    }
  }
  await sendAgain(missing, behind);
  return true;
}

async function syncOnce() {
  // Locked, the token and every record are sealed: nothing can be sent until the PIN is given.
  if (!(await isUnlocked())) return { ok: false, reason: "locked", ...(await outboxCounts()) };
  const token = await getMeta("token");
  if (!token) return { ok: false, reason: "not_enrolled", ...(await outboxCounts()) };
  let changed = 0; // answers and feed entries this sync brought: a page drawn before is stale
  for (let round = 0; round < 100; round++) {
    const changes = await changesToSend(BATCH);
    await markSent(changes.map((c) => c.id));
    let response;
    try {
      response = await fetch("/api/v1/sync", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          cursor: (await getMeta("cursor")) ?? null,
          changes: changes.map(({ id, type, base_version, data, sent_back }) => (
            sent_back ? { id, type, base_version, data, sent_back } : { id, type, base_version,
                                                                        data })),
        }),
      });
    } catch {
      return { ok: false, reason: "offline", ...(await outboxCounts()) };
    }
    if (response.status === 401) {
      await setMeta("needs_sign_in", true); // keep everything; carry on after signing in
      return { ok: false, reason: "sign_in", ...(await outboxCounts()) };
    }
    if (response.status === 403 && (await errorCode(response)) === "device_revoked") {
      // The answer's Clear-Site-Data may already be clearing the store (and closing it under
      // this wipe): either way, nothing is left.
      await wipe().catch(() => undefined);
      return { ok: false, reason: "device_revoked", pending: 0, attention: 0 };
    }
    if (response.status === 409 && (await errorCode(response)) === "server_restored") {
      // The server went back to a backup. Nothing of this request was applied: send back what
      // it lacks of what this phone holds, then pull everything from the start.
      const recovered = await recoverAfterRestore(token);
      if (!recovered) return { ok: false, reason: "offline", ...(await outboxCounts()) };
      await setMeta("cursor", null);
      continue;
    }
    if (response.status === 400 && (await errorCode(response)) === "invalid_cursor") {
      // A cursor the server no longer takes: from an older version of it, or a server rebuilt
      // from a backup with a new secret. Nothing of the request was applied. Send back what it
      // lacks, as after a restore, then pull again from the beginning.
      if (!(await recoverAfterRestore(token))) return { ok: false, reason: "offline",
                                                        ...(await outboxCounts()) };
      await setMeta("cursor", null);
      continue;
    }
    if (!response.ok) return { ok: false, reason: `http_${response.status}`,
                               ...(await outboxCounts()) };
    const body = await response.json();
    await acknowledge(body.results);
    await applyFeed(body.changes);
    changed += body.results.length + body.changes.length;
    await setMeta("cursor", body.cursor);
    await setMeta("last_sync", new Date().toISOString());
    const left = await changesToSend(1);
    if (!body.more && left.length === 0) return { ok: true, changed, ...(await outboxCounts()) };
  }
  return { ok: false, reason: "stalled", ...(await outboxCounts()) }; // never loop for ever
}
