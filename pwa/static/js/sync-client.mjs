/**
 * The sync client: enrol this device, push the outbox in batches, pull the feed by cursor.
 * Nothing leaves the outbox until the server says `applied` or `duplicate`.
 */
import {
  acknowledge, applyFeed, changesToSend, getMeta, heldRecords, markSent, outboxCounts, sendAgain,
  setMeta, wipe,
} from "./local-store.mjs";
import { forgetPushSubscription } from "./push-settings.mjs";

const BATCH = 500;

/** Enrol this device from a signed-in page; the token is kept in IndexedDB, never in a cookie. */
export async function enrolDevice(name) {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;
  const response = await fetch("/api/v1/devices", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf || "" },
    body: JSON.stringify({ name }),
    credentials: "same-origin",
  });
  if (response.status !== 201) {
    const said = await response.json().then((body) => body.error?.message).catch(() => null);
    throw new Error(said || `The server answered ${response.status}.`);
  }
  const body = await response.json();
  const previous = await getMeta("user");
  if (previous && previous.id !== body.user.id) {
    // Another person used this phone: never show their records to this one.
    const waiting = await outboxCounts();
    if (waiting.pending + waiting.attention > 0) {
      await fetch("/api/v1/devices/current", {
        method: "DELETE", headers: { Authorization: `Bearer ${body.token}` },
      });
      throw new Error(`${previous.display_name} has records not yet sent from this phone. ` +
                      "They need to sign in here and sync first.");
    }
    await forgetPushSubscription().catch(() => undefined); // the last person's reminders must not come here
    await wipe();
  }
  await setMeta("token", body.token);
  await setMeta("user", body.user);
  await setMeta("needs_sign_in", false);
  return body;
}

/**
 * Send what is waiting and fetch what changed, until both are done.
 * Returns {ok, reason?, pending, attention}; a failure leaves every record where it was.
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
  const token = await getMeta("token");
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
  return {
    ...(await outboxCounts()),
    lastSync: (await getMeta("last_sync")) ?? null,
    needsSignIn: Boolean(await getMeta("needs_sign_in")),
    user: (await getMeta("user")) ?? null,
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
  const token = await getMeta("token");
  if (!token) return { ok: false, reason: "not_enrolled", ...(await outboxCounts()) };
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
    if (response.status === 403) {
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
    await setMeta("cursor", body.cursor);
    await setMeta("last_sync", new Date().toISOString());
    const left = await changesToSend(1);
    if (!body.more && left.length === 0) return { ok: true, ...(await outboxCounts()) };
  }
  return { ok: false, reason: "stalled", ...(await outboxCounts()) }; // never loop for ever
}
