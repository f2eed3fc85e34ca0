/**
 * The phone's own database (IndexedDB through idb): the one module that owns its schema.
 *
 * Stores: `records` (what the phone holds, by id), `outbox` (changes not yet acknowledged, one
 * per record, oldest first by `queued`), `meta` (token, cursor, last sync), `drafts` (forms
 * half filled in, by page path). Upgrades step through oldVersion and never drop data.
 */
import { openDB } from "../vendor/idb/index.js";

const NAME = "link-worker";
const VERSION = 2;

let connection = null;

/**
 * Open (and if need be create or upgrade) the database, once per page. When a newer version of
 * the app (in another tab, after a deploy) needs to upgrade it, this page lets go at once, so
 * the upgrade is never blocked; the next call here opens it again at the new version.
 */
export function openStore() {
  connection ??= openDB(NAME, VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const records = db.createObjectStore("records", { keyPath: "id" });
        records.createIndex("type", "type");
        records.createIndex("patient_id", "data.patient_id");
        db.createObjectStore("outbox", { keyPath: "id" }).createIndex("queued", "queued");
        db.createObjectStore("meta");
      }
      if (oldVersion < 2) {
        db.createObjectStore("drafts", { keyPath: "path" });
      }
    },
    blocking(currentVersion, blockedVersion, event) {
      event.target.close();
      connection = null;
    },
    terminated() {
      connection = null;
    },
  }).catch((error) => {
    connection = null; // try again next time rather than keep the failure
    throw error;
  });
  return connection;
}

/** Read one meta value. */
export async function getMeta(key) {
  return (await openStore()).get("meta", key);
}

/** Write one meta value. */
export async function setMeta(key, value) {
  return (await openStore()).put("meta", value, key);
}

/**
 * Save a record the person created or changed, and queue it for the server.
 * Refuses a record whose send is in flight: a correction then is a new record.
 */
export async function saveRecord(type, id, data) {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
  const pending = await tx.objectStore("outbox").get(id);
  if (pending?.sent) {
    tx.abort();
    throw new Error("This record is being sent and cannot be changed now.");
  }
  const held = await tx.objectStore("records").get(id);
  const queued = ((await tx.objectStore("meta").get("queued")) || 0) + 1;
  await tx.objectStore("meta").put(queued, "queued");
  const baseVersion = pending ? pending.base_version : (held?.version ?? null);
  // The last copy the server confirmed, to go back to if the person discards this change.
  const original = pending ? pending.original : (held?.version != null ? held : null);
  await tx.objectStore("outbox").put(
    { id, type, base_version: baseVersion, data, queued, sent: false, attention: null, original },
  );
  await tx.objectStore("records").put({ id, type, version: held?.version ?? null, data,
                                        status: "pending" });
  await tx.done;
}

/** Return up to `limit` changes to send, oldest first, leaving out those awaiting a person. */
export async function changesToSend(limit) {
  const all = await (await openStore()).getAllFromIndex("outbox", "queued");
  return all.filter((entry) => !entry.attention).slice(0, limit);
}

/** Mark changes as sent: from now on they are in flight and cannot be edited. */
export async function markSent(ids) {
  const db = await openStore();
  const tx = db.transaction("outbox", "readwrite");
  for (const id of ids) {
    const entry = await tx.store.get(id);
    if (entry) await tx.store.put({ ...entry, sent: true });
  }
  await tx.done;
}

/** Apply the server's per-change results: only `applied` and `duplicate` leave the outbox. */
export async function acknowledge(results) {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  for (const result of results) {
    if (!result.id) continue;
    const record = await tx.objectStore("records").get(result.id);
    if (result.status === "applied" || result.status === "duplicate") {
      await tx.objectStore("outbox").delete(result.id);
      if (record) {
        await tx.objectStore("records").put({ ...record, version: result.version,
                                              status: "sent" });
      }
    } else {
      const entry = await tx.objectStore("outbox").get(result.id);
      const attention = { status: result.status, code: result.code || null,
                          errors: result.errors || {} };
      if (entry) await tx.objectStore("outbox").put({ ...entry, attention });
      if (record) await tx.objectStore("records").put({ ...record, status: "needs attention" });
    }
  }
  await purgeLeft(tx);
  await tx.done;
}

/** Whether anything in the outbox belongs to this patient. */
async function waitingFor(tx, patientId) {
  const entries = await tx.objectStore("outbox").getAll();
  return entries.some((entry) => entry.data?.patient_id === patientId);
}

/** Remove patients who left the caseload once nothing of theirs is waiting to send. */
async function purgeLeft(tx) {
  const patients = await tx.objectStore("records").index("type").getAll("patient");
  for (const patient of patients.filter((p) => p.status === "left")) {
    if (!(await waitingFor(tx, patient.id))) await purgePatient(tx, patient.id);
  }
}

/**
 * Remove a patient and every record of theirs the phone holds. The server names the records
 * that existed when the patient left; this also catches any it could not name.
 */
async function purgePatient(tx, patientId) {
  const records = tx.objectStore("records");
  for (const key of await records.index("patient_id").getAllKeys(patientId)) {
    await records.delete(key);
  }
  await records.delete(patientId);
}

/**
 * Apply a page of the server's feed; never overwrite what the person has not yet sent.
 * The server's copy of a record that needs attention is kept beside it, so the person can
 * compare and choose.
 */
export async function applyFeed(changes) {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  for (const change of changes) {
    const waiting = await tx.objectStore("outbox").get(change.id);
    if (waiting) {
      if (waiting.attention) await tx.objectStore("outbox").put({ ...waiting, server: change });
      continue;
    }
    if (change.deleted) {
      const held = await tx.objectStore("records").get(change.id);
      if (held && await waitingFor(tx, change.id)) {
        // Left the caseload with the person's own records still to send: keep it (hidden)
        // until those are sent or discarded, then purgeLeft() removes it.
        await tx.objectStore("records").put({ ...held, status: "left" });
      } else if (change.type === "patient") {
        await purgePatient(tx, change.id);
      } else {
        await tx.objectStore("records").delete(change.id);
      }
    } else {
      await tx.objectStore("records").put({ id: change.id, type: change.type,
                                            version: change.version, data: change.data,
                                            status: "sent" });
    }
  }
  await tx.done;
}

/**
 * What this phone holds, for a restored server to compare with what it has (sync-client's
 * recoverAfterRestore): each record's id, type, data and the server version it is based on.
 */
export async function heldRecords() {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readonly");
  const waiting = new Map((await tx.objectStore("outbox").getAll()).map((e) => [e.id, e]));
  const records = await tx.objectStore("records").getAll();
  await tx.done;
  return records.filter((record) => record.status !== "left").map((record) => ({
    ...record,
    version: waiting.has(record.id) ? waiting.get(record.id).base_version : record.version,
  }));
}

/**
 * Queue what a restored server lacks to be sent again: `missing` ids as new records (patients
 * first, so their records have someone to belong to), `behind` ({id, version}) as changes on
 * top of the older version the server has. A change already waiting keeps its own data and is
 * re-based the same way. The phone still shows every record, now "waiting to send".
 */
export async function sendAgain(missing, behind = []) {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
  const base = new Map(missing.map((id) => [id, null]));
  for (const entry of behind) base.set(entry.id, entry.version);
  const held = [];
  for (const id of base.keys()) {
    const record = await tx.objectStore("records").get(id);
    if (record) held.push(record);
  }
  // What others depend on first: patients, then check-ins, then those amending a check-in.
  const rank = (r) => (r.type === "patient" ? 0 : r.type !== "checkin" ? 2 : r.data?.amends ? 3 : 1);
  held.sort((a, b) => rank(a) - rank(b));
  let queued = (await tx.objectStore("meta").get("queued")) || 0;
  for (const record of held) {
    const baseVersion = base.get(record.id);
    const waiting = await tx.objectStore("outbox").get(record.id);
    queued += 1;
    await tx.objectStore("outbox").put(waiting
      ? { ...waiting, base_version: baseVersion, sent: false, queued, sent_back: true }
      : { id: record.id, type: record.type, base_version: baseVersion, data: record.data,
          queued, sent: false, attention: null, original: null, sent_back: true });
    await tx.objectStore("records").put({ ...record, version: baseVersion, status: "pending" });
  }
  await tx.objectStore("meta").put(queued, "queued");
  await tx.done;
  return held.length;
}

/** Count what is waiting: to send, and needing a person. */
export async function outboxCounts() {
  const all = await (await openStore()).getAll("outbox");
  return { pending: all.filter((e) => !e.attention).length,
           attention: all.filter((e) => e.attention).length };
}

/** Remove everything this phone holds (device revoked, or signed out with nothing unsent). */
export async function wipe() {
  const db = await openStore();
  const stores = ["records", "outbox", "meta", "drafts"];
  const tx = db.transaction(stores, "readwrite");
  await Promise.all(stores.map((name) => tx.objectStore(name).clear()));
  await tx.done;
}

/** Return one record the phone holds, or undefined. */
export async function getRecord(id) {
  return (await openStore()).get("records", id);
}

/** Return every record of one type (`patient`, `checkin`, `followup`, `referral`, `asset`). */
export async function recordsOfType(type) {
  return (await openStore()).getAllFromIndex("records", "type", type);
}

/** Return the check-ins, follow-ups and referrals the phone holds for one patient. */
export async function recordsForPatient(patientId) {
  return (await openStore()).getAllFromIndex("records", "patient_id", patientId);
}

/** Return every outbox entry, oldest first. */
export async function outboxEntries() {
  return (await openStore()).getAllFromIndex("outbox", "queued");
}

/** Return the outbox entry for `id` if it needs attention; otherwise abort and say so. */
async function needingAttention(tx, id, what) {
  const entry = await tx.objectStore("outbox").get(id);
  if (!entry?.attention) {
    tx.abort();
    throw new Error(`Only a record that needs attention can be ${what}.`);
  }
  return entry;
}

/**
 * Send a record that needed attention again: with the person's corrected `data`, and for a
 * conflict on top of the server's version (`baseVersion`), so it no longer conflicts.
 */
export async function resend(id, { data, baseVersion } = {}) {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  const entry = await needingAttention(tx, id, "sent again");
  const fixed = { ...entry, data: data ?? entry.data, attention: null, sent: false,
                  server: undefined, base_version: baseVersion ?? entry.base_version };
  await tx.objectStore("outbox").put(fixed);
  const record = await tx.objectStore("records").get(id);
  await tx.objectStore("records").put({ ...record, data: fixed.data, status: "pending" });
  await tx.done;
}

/**
 * Give up the phone's change to a record that needs attention: the server's copy (if it has
 * one) takes its place, otherwise the record goes. The server keeps what it refused for review.
 */
export async function discard(id) {
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  const entry = await needingAttention(tx, id, "discarded");
  await tx.objectStore("outbox").delete(id);
  if (entry.server && !entry.server.deleted) {
    const { type, version, data } = entry.server;
    await tx.objectStore("records").put({ id, type, version, data, status: "sent" });
  } else if (entry.original && entry.attention.code !== "out_of_scope") {
    await tx.objectStore("records").put({ ...entry.original, status: "sent" });
  } else {
    await tx.objectStore("records").delete(id);
  }
  await purgeLeft(tx);
  await tx.done;
}

/** Keep what `user` has typed into a form so far, by page path. */
export async function saveDraft(path, fields, user) {
  return (await openStore()).put("drafts",
                                 { path, fields, user, saved: new Date().toISOString() });
}

/** Return the draft kept for a page path, or undefined. */
export async function getDraft(path) {
  return (await openStore()).get("drafts", path);
}

/** Forget the draft of a page path (its form was saved). */
export async function deleteDraft(path) {
  return (await openStore()).delete("drafts", path);
}
