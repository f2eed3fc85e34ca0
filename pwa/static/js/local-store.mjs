/**
 * The phone's own database (IndexedDB through idb): the one module that owns its schema.
 *
 * Stores (version 3, docs/phone-data.md), every patient detail sealed (seal.mjs):
 *  - `records`: what the phone holds. In plain: id, type, version, status, and `pk`, a keyed
 *    hash of the patient the record belongs to (a patient's own id for a patient) to find a
 *    patient's records by. Sealed in `box`: the data.
 *  - `outbox`: changes not yet acknowledged, one per record, oldest first by `queued`. In plain:
 *    id, type, queued, sent, sent_back, base_version, pk, `held` (waiting for a person).
 *    Sealed: `box` (the data), `attention` (the server's answer), `server` (its copy, in the
 *    shape of a record), and `original` is a record row as it was, sealed as records are.
 *  - `drafts`: forms half filled in, by page path; `box` sealed.
 *  - `meta`: the cursor, counters and the key copies (keyring.mjs) in plain; the device token
 *    and the signed-in person sealed (SEALED_META).
 *
 * The rule that keeps transactions whole: WebCrypto is awaited only before a transaction opens
 * (sealing what will be written, hashing the ids it will look up) or after it has finished
 * (opening what was read). An await on anything but the transaction's own requests lets it
 * commit early. Upgrades step through oldVersion and never drop data; version 2's plain records
 * are sealed by sealPlainRecords() once the person has chosen a PIN.
 */
import { openDB } from "../vendor/idb/index.js";
import { currentKeys } from "./keyring.mjs";
import { seal, tag, unseal } from "./seal.mjs";

const NAME = "link-worker";
const VERSION = 3;
const SEALED_META = new Set(["token", "user"]);

let connection = null;

/**
 * Open (and if need be create or upgrade) the database, once per page. When a newer version of
 * the app (in another tab, after a deploy) needs to upgrade it, this page lets go at once, so
 * the upgrade is never blocked; the next call here opens it again at the new version.
 */
export function openStore() {
  connection ??= openDB(NAME, VERSION, {
    async upgrade(db, oldVersion, newVersion, tx) {
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
      if (oldVersion < 3) {
        // Sealed records are found by a keyed hash, never by a patient id in plain.
        tx.objectStore("records").deleteIndex("patient_id");
        tx.objectStore("records").createIndex("pk", "pk");
        tx.objectStore("outbox").createIndex("pk", "pk");
        // Whose phone this is, readable while locked (an id, never a name).
        const user = await tx.objectStore("meta").get("user");
        if (user?.id) await tx.objectStore("meta").put(user.id, "owner");
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

/** Read one meta value (the token and the person's details are opened: locked, it throws). */
export async function getMeta(key) {
  const value = await (await openStore()).get("meta", key);
  if (!SEALED_META.has(key) || value == null) return value;
  return unseal(await currentKeys(), `meta:${key}`, value);
}

/** Write one meta value (the token and the person's details sealed). */
export async function setMeta(key, value) {
  const stored = SEALED_META.has(key) && value != null
    ? await seal(await currentKeys(), `meta:${key}`, value) : value;
  return (await openStore()).put("meta", stored, key);
}

/** Remove one meta value. */
export async function deleteMeta(key) {
  return (await openStore()).delete("meta", key);
}

/** The keyed hash that finds a record's patient: the patient's own id for a patient. */
function patientOf(type, id, data) {
  return type === "patient" ? id : (data?.patient_id ?? null);
}

async function pkFor(keys, type, id, data) {
  const patientId = patientOf(type, id, data);
  return patientId ? tag(keys, patientId) : null;
}

/** Open a record row into what the pages use: {id, type, version, data, status}. */
async function openRow(keys, row) {
  if (!row?.box) return undefined; // never sealed (version 2, before the PIN): not shown
  const { id, type, version, status } = row;
  return { id, type, version, status, data: await unseal(keys, id, row.box) };
}

async function openRows(rows) {
  const keys = await currentKeys();
  return (await Promise.all(rows.map((row) => openRow(keys, row)))).filter(Boolean);
}

/** Open an outbox row into the shape the sync client and pages use. */
async function openEntry(keys, entry) {
  if (!entry?.box) return undefined;
  return {
    id: entry.id, type: entry.type, base_version: entry.base_version, queued: entry.queued,
    sent: entry.sent, sent_back: entry.sent_back || undefined,
    data: await unseal(keys, entry.id, entry.box),
    attention: entry.attention ? await unseal(keys, `${entry.id}:attention`, entry.attention) : null,
    original: entry.original ? await openRow(keys, entry.original) : null,
    server: entry.server ? { ...(await openRow(keys, entry.server)), deleted: entry.server.deleted }
      : undefined,
  };
}

/**
 * Save a record the person created or changed, and queue it for the server.
 * Refuses a record whose send is in flight: a correction then is a new record.
 */
export async function saveRecord(type, id, data) {
  const keys = await currentKeys();
  const box = await seal(keys, id, data);
  const pk = await pkFor(keys, type, id, data);
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
  await tx.objectStore("outbox").put({ id, type, base_version: baseVersion, box, pk, queued,
                                       sent: false, held: false, attention: null, original });
  await tx.objectStore("records").put({ id, type, version: held?.version ?? null, box, pk,
                                        status: "pending" });
  await tx.done;
}

/** Return up to `limit` changes to send, oldest first, leaving out those awaiting a person. */
export async function changesToSend(limit) {
  const all = await (await openStore()).getAllFromIndex("outbox", "queued");
  const keys = await currentKeys();
  const chosen = all.filter((entry) => !entry.held && entry.box).slice(0, limit);
  return Promise.all(chosen.map(async (entry) => ({
    id: entry.id, type: entry.type, base_version: entry.base_version,
    sent_back: entry.sent_back || undefined, data: await unseal(keys, entry.id, entry.box),
  })));
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
  const keys = await currentKeys();
  const attention = new Map();
  for (const result of results) {
    if (!result.id || result.status === "applied" || result.status === "duplicate") continue;
    attention.set(result.id, await seal(keys, `${result.id}:attention`, {
      status: result.status, code: result.code || null, errors: result.errors || {} }));
  }
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  for (const result of results) {
    if (!result.id) continue;
    const record = await tx.objectStore("records").get(result.id);
    if (attention.has(result.id)) {
      const entry = await tx.objectStore("outbox").get(result.id);
      if (entry) {
        await tx.objectStore("outbox").put({ ...entry, held: true,
                                             attention: attention.get(result.id) });
      }
      if (record) await tx.objectStore("records").put({ ...record, status: "needs attention" });
    } else {
      await tx.objectStore("outbox").delete(result.id);
      if (record) {
        await tx.objectStore("records").put({ ...record, version: result.version,
                                              status: "sent" });
      }
    }
  }
  await purgeLeft(tx);
  await tx.done;
}

/** Whether anything in the outbox belongs to the patient with this keyed hash. */
async function waitingFor(tx, pk) {
  if (!pk) return false;
  return (await tx.objectStore("outbox").index("pk").count(pk)) > 0;
}

/** Remove patients who left the caseload once nothing of theirs is waiting to send. */
async function purgeLeft(tx) {
  const patients = await tx.objectStore("records").index("type").getAll("patient");
  for (const patient of patients.filter((p) => p.status === "left")) {
    if (!(await waitingFor(tx, patient.pk))) await purgePatient(tx, patient.pk);
  }
}

/**
 * Remove a patient and every record of theirs the phone holds (all share the patient's keyed
 * hash). The server names the records that existed when the patient left; this also catches
 * any it could not name.
 */
async function purgePatient(tx, pk) {
  if (!pk) return;
  const records = tx.objectStore("records");
  for (const key of await records.index("pk").getAllKeys(pk)) await records.delete(key);
}

/**
 * Apply a page of the server's feed; never overwrite what the person has not yet sent.
 * The server's copy of a record that needs attention is kept beside it, so the person can
 * compare and choose. Everything is sealed before the transaction opens.
 */
export async function applyFeed(changes) {
  const keys = await currentKeys();
  const rows = await Promise.all(changes.map(async (change) => ({
    change,
    pk: await pkFor(keys, change.type, change.id, change.data),
    box: change.deleted ? null : await seal(keys, change.id, change.data),
  })));
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  for (const { change, pk, box } of rows) {
    const row = { id: change.id, type: change.type, version: change.version, box, pk,
                  status: "sent" };
    const waiting = await tx.objectStore("outbox").get(change.id);
    if (waiting) {
      if (waiting.held) {
        await tx.objectStore("outbox").put({ ...waiting, server: { ...row, deleted: Boolean(change.deleted) } });
      }
      continue;
    }
    if (change.deleted && change.type === "patient") {
      const held = await tx.objectStore("records").get(change.id);
      if (held && await waitingFor(tx, pk)) {
        // Left the caseload with the person's own records still to send: keep it (hidden)
        // until those are sent or discarded, then purgeLeft() removes it.
        await tx.objectStore("records").put({ ...held, status: "left" });
      } else {
        await purgePatient(tx, pk);
      }
    } else if (change.deleted) {
      await tx.objectStore("records").delete(change.id);
    } else {
      await tx.objectStore("records").put(row);
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
  const opened = await openRows(records.filter((record) => record.status !== "left"));
  return opened.map((record) => ({
    ...record,
    version: waiting.has(record.id) ? waiting.get(record.id).base_version : record.version,
  }));
}

/**
 * Queue what a restored server lacks to be sent again: `missing` ids as new records (patients
 * first, so their records have someone to belong to), `behind` ({id, version}) as changes on
 * top of the older version the server has. A change already waiting keeps its own data and is
 * re-based the same way. The phone still shows every record, now "waiting to send". The sealed
 * data moves as it is: nothing is opened or sealed here.
 */
export async function sendAgain(missing, behind = []) {
  // What others depend on first: patients, then check-ins, then those amending a check-in.
  const amends = new Set();
  for (const record of await heldRecords()) if (record.data?.amends) amends.add(record.id);
  const db = await openStore();
  const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
  const base = new Map(missing.map((id) => [id, null]));
  for (const entry of behind) base.set(entry.id, entry.version);
  const held = [];
  for (const id of base.keys()) {
    const record = await tx.objectStore("records").get(id);
    if (record) held.push(record);
  }
  const rank = (r) => (r.type === "patient" ? 0 : r.type !== "checkin" ? 2 : amends.has(r.id) ? 3 : 1);
  held.sort((a, b) => rank(a) - rank(b));
  let queued = (await tx.objectStore("meta").get("queued")) || 0;
  for (const record of held) {
    const baseVersion = base.get(record.id);
    const waiting = await tx.objectStore("outbox").get(record.id);
    queued += 1;
    await tx.objectStore("outbox").put(waiting
      ? { ...waiting, base_version: baseVersion, sent: false, queued, sent_back: true }
      : { id: record.id, type: record.type, base_version: baseVersion, box: record.box,
          pk: record.pk, queued, sent: false, held: false, attention: null, original: null,
          sent_back: true });
    await tx.objectStore("records").put({ ...record, version: baseVersion, status: "pending" });
  }
  await tx.objectStore("meta").put(queued, "queued");
  await tx.done;
  return held.length;
}

/** Count what is waiting: to send, and needing a person (readable while locked). */
export async function outboxCounts() {
  const all = await (await openStore()).getAll("outbox");
  return { pending: all.filter((e) => !e.held).length,
           attention: all.filter((e) => e.held).length };
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
  const row = await (await openStore()).get("records", id);
  return row ? openRow(await currentKeys(), row) : undefined;
}

/** Return every record of one type (`patient`, `checkin`, `followup`, `referral`, `asset`). */
export async function recordsOfType(type) {
  return openRows(await (await openStore()).getAllFromIndex("records", "type", type));
}

/** Return the check-ins, follow-ups and referrals the phone holds for one patient. */
export async function recordsForPatient(patientId) {
  const pk = await tag(await currentKeys(), patientId);
  const rows = await (await openStore()).getAllFromIndex("records", "pk", pk);
  return openRows(rows.filter((row) => row.id !== patientId));
}

/** Return every outbox entry, oldest first. */
export async function outboxEntries() {
  const rows = await (await openStore()).getAllFromIndex("outbox", "queued");
  const keys = await currentKeys();
  return (await Promise.all(rows.map((row) => openEntry(keys, row)))).filter(Boolean);
}

/** Return the outbox entry for `id` if it needs attention; otherwise abort and say so. */
async function needingAttention(tx, id, what) {
  const entry = await tx.objectStore("outbox").get(id);
  if (!entry?.held) {
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
  const keys = await currentKeys();
  const box = data === undefined ? null : await seal(keys, id, data);
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  const entry = await needingAttention(tx, id, "sent again");
  const fixed = { ...entry, box: box ?? entry.box, attention: null, held: false, sent: false,
                  server: undefined, base_version: baseVersion ?? entry.base_version };
  await tx.objectStore("outbox").put(fixed);
  const record = await tx.objectStore("records").get(id);
  await tx.objectStore("records").put({ ...record, box: fixed.box, status: "pending" });
  await tx.done;
}

/**
 * Give up the phone's change to a record that needs attention: the server's copy (if it has
 * one) takes its place, otherwise the record goes. The server keeps what it refused for review.
 */
export async function discard(id) {
  const keys = await currentKeys();
  const entryBefore = await (await openStore()).get("outbox", id);
  const attention = entryBefore?.attention
    ? await unseal(keys, `${id}:attention`, entryBefore.attention) : null;
  const db = await openStore();
  const tx = db.transaction(["records", "outbox"], "readwrite");
  const entry = await needingAttention(tx, id, "discarded");
  await tx.objectStore("outbox").delete(id);
  if (entry.server && !entry.server.deleted) {
    const { deleted, ...row } = entry.server;
    await tx.objectStore("records").put({ ...row, pk: row.pk ?? entry.pk, status: "sent" });
  } else if (entry.original && attention?.code !== "out_of_scope") {
    await tx.objectStore("records").put({ ...entry.original, status: "sent" });
  } else {
    await tx.objectStore("records").delete(id);
  }
  await purgeLeft(tx);
  await tx.done;
}

/** Keep what `user` has typed into a form so far, by page path. */
export async function saveDraft(path, fields, user) {
  const box = await seal(await currentKeys(), `draft:${path}`,
                         { fields, user, saved: new Date().toISOString() });
  return (await openStore()).put("drafts", { path, box });
}

/** Return the draft kept for a page path, or undefined. */
export async function getDraft(path) {
  const row = await (await openStore()).get("drafts", path);
  if (!row?.box) return undefined;
  return { path, ...(await unseal(await currentKeys(), `draft:${path}`, row.box)) };
}

/** Forget the draft of a page path (its form was saved). */
export async function deleteDraft(path) {
  return (await openStore()).delete("drafts", path);
}

/**
 * Seal what version 2 of the app kept in plain (records, outbox, drafts, the token and the
 * person), once the phone has its keys. Each store is read, sealed outside any transaction,
 * then written in one transaction that checks each row is still the plain one it read: a row
 * written in between (another tab) is kept as it is, and nothing unsent is ever dropped.
 * One tab at a time (Web Locks). Returns how many rows were sealed.
 */
export async function sealPlainRecords() {
  const run = async () => {
    const keys = await currentKeys();
    const db = await openStore();
    const read = db.transaction(["records", "outbox", "drafts", "meta"], "readonly");
    const records = (await read.objectStore("records").getAll()).filter((row) => !row.box);
    const outbox = (await read.objectStore("outbox").getAll()).filter((row) => !row.box);
    const drafts = (await read.objectStore("drafts").getAll()).filter((row) => !row.box);
    const meta = {};
    for (const key of SEALED_META) {
      const value = await read.objectStore("meta").get(key);
      if (value != null && !(value.iv && value.ct)) meta[key] = value;
    }
    await read.done;
    const sealRecord = async (row) => ({
      id: row.id, type: row.type, version: row.version ?? null, status: row.status,
      pk: await pkFor(keys, row.type, row.id, row.data), box: await seal(keys, row.id, row.data),
    });
    const sealedRecords = await Promise.all(records.map(sealRecord));
    const sealedOutbox = await Promise.all(outbox.map(async (row) => ({
      id: row.id, type: row.type, base_version: row.base_version ?? null, queued: row.queued,
      sent: Boolean(row.sent), sent_back: row.sent_back || undefined, held: Boolean(row.attention),
      pk: await pkFor(keys, row.type, row.id, row.data), box: await seal(keys, row.id, row.data),
      attention: row.attention ? await seal(keys, `${row.id}:attention`, row.attention) : null,
      original: row.original ? await sealRecord(row.original) : null,
      server: row.server ? { ...(row.server.deleted ? { id: row.id, type: row.type, box: null }
        : await sealRecord({ ...row.server, id: row.id })), version: row.server.version,
                             deleted: Boolean(row.server.deleted) } : undefined,
    })));
    const sealedDrafts = await Promise.all(drafts.map(async (row) => ({
      path: row.path,
      box: await seal(keys, `draft:${row.path}`, { fields: row.fields, user: row.user, saved: row.saved }),
    })));
    const sealedMeta = await Promise.all(Object.entries(meta).map(
      async ([key, value]) => [key, await seal(keys, `meta:${key}`, value)]));
    const write = db.transaction(["records", "outbox", "drafts", "meta"], "readwrite");
    const replace = async (store, rows, keyOf) => {
      for (const row of rows) {
        const now = await write.objectStore(store).get(keyOf(row));
        if (now && !now.box) await write.objectStore(store).put(row);
      }
    };
    await replace("records", sealedRecords, (row) => row.id);
    await replace("outbox", sealedOutbox, (row) => row.id);
    await replace("drafts", sealedDrafts, (row) => row.path);
    for (const [key, value] of sealedMeta) {
      const now = await write.objectStore("meta").get(key);
      if (now != null && !(now.iv && now.ct)) await write.objectStore("meta").put(value, key);
    }
    await write.done;
    return sealedRecords.length + sealedOutbox.length + sealedDrafts.length + sealedMeta.length;
  };
  return navigator.locks ? navigator.locks.request("link-worker-seal", run) : run();
}
