/* The service worker: keeps the app shell so the app opens with no signal.
 *
 * Served by pwa/views/app_shell.py, which replaces the two placeholders below with the app's
 * version (so every deploy installs a new worker and cache) and the files to precache.
 * Patient data never goes into Cache Storage: pages are fetched from the network, and when that
 * fails the data-free shell is served in their place; its scripts draw the page from IndexedDB.
 * The few pages that hold no patient data at all ("Get help now") are kept whole.
 * A new worker replaces an old one at once: the outbox lives in IndexedDB, which it never
 * touches, so an update can never lose what a person saved.
 */
const VERSION = "__APP_VERSION__";
const SHELL_FILES = __SHELL_FILES__;
const CACHE = `lw-shell-${VERSION}`;
const OFFLINE_PAGE = "/offline";
const BACKGROUND_SYNC_TAG = "outbox";
// A page that has not answered in this long on a weak signal is served from the shell instead.
const NETWORK_TIMEOUT_MS = 10_000;
const ICON = SHELL_FILES.find((path) => path.endsWith("nhsuk-icon-192.png"));
const STORE_NAME = "link-worker"; // static/js/local-store.mjs owns its schema; this only reads

self.addEventListener("install", (event) => {
  event.waitUntil(precacheShell());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(deleteOldCaches());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return; // other sites, untouched
  if (request.mode === "navigate") {
    // Form posts too: one that cannot reach the server opens the offline form at the same
    // path, where the draft kept as the person typed is waiting.
    event.respondWith(networkFirstPage(request));
  } else if (request.method === "GET" && SHELL_FILES.includes(new URL(request.url).pathname)) {
    event.respondWith(cacheFirst(request));
  }
  // Anything else (the sync API above all) goes to the network untouched.
});

self.addEventListener("sync", (event) => {
  if (event.tag === BACKGROUND_SYNC_TAG) event.waitUntil(askAPageToSync());
});

/*
 * Web Push (pwa/reminders.py). A payload is {title, body, tag, url} and never holds a name, a
 * score or a note: the app shows the detail once it opens, to whoever is signed in.
 */
self.addEventListener("push", (event) => {
  event.waitUntil(showNotice(event.data));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openAppAt(event.notification.data?.url));
});

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription));
});

async function showNotice(data) {
  let notice = {};
  try {
    notice = data ? data.json() : {};
  } catch {
    // Not ours, or garbled: still show something, as a push must (userVisibleOnly).
  }
  await self.registration.showNotification(notice.title || "Link worker", {
    body: notice.body || "Something in the app needs you.",
    tag: notice.tag || "link-worker",
    icon: ICON,
    badge: ICON,
    data: { url: insideTheApp(notice.url) },
  });
}

/** Only a path inside this app may be opened from a notification; anything else: home. */
function insideTheApp(url) {
  try {
    const target = new URL(url || "/", self.location.origin);
    return target.origin === self.location.origin ? target.pathname + target.search + target.hash
      : "/";
  } catch {
    return "/";
  }
}

/** Bring the app to the front at `url`: an open window of it if there is one, or a new one. */
async function openAppAt(url) {
  const target = new URL(insideTheApp(url), self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => client.url === target) || windows[0];
  if (!open) return self.clients.openWindow(target);
  const shown = open.url === target ? open : await open.navigate(target).catch(() => null);
  // An uncontrolled window cannot be navigated from here: open the page in a new one.
  if (!shown) return self.clients.openWindow(target);
  return shown.focus();
}

/**
 * The push service replaced this phone's subscription (keys rotated, or it expired): subscribe
 * again with the same server key and tell the server, with the device token the sync uses.
 */
async function resubscribe(oldSubscription, newSubscription) {
  const token = await readDeviceToken();
  if (!token) return; // signed out: nobody's reminders should come here
  let subscription = newSubscription;
  if (!subscription) {
    const key = oldSubscription?.options?.applicationServerKey ||
      (await (await fetch("/api/v1/push/key")).json()).public_key;
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: key,
    });
  }
  const response = await fetch("/api/v1/push/subscriptions", {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(subscription.toJSON()),
  });
  if (!response.ok) throw new Error(`The server did not take the new subscription: ${response.status}`);
}

/**
 * Read the device token from the app's IndexedDB, never creating or upgrading it. The token is
 * sealed (static/js/seal.mjs): it opens only while the phone is unlocked; locked, this returns
 * null and the page renews the subscription when its person next unlocks it.
 */
async function readDeviceToken() {
  const [sealed, unlocked] = await readMeta(["token", "unlocked"]);
  if (!sealed?.ct || !unlocked?.aes || unlocked.until <= Date.now()) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.iv, additionalData: new TextEncoder().encode("meta:token") },
      unlocked.aes, sealed.ct);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}

function readMeta(keys) {
  return new Promise((resolve) => {
    const nothing = keys.map(() => null);
    const request = indexedDB.open(STORE_NAME);
    // Only a database that does not exist yet gets here: leave its creation to the app.
    request.onupgradeneeded = () => request.transaction.abort();
    request.onerror = () => resolve(nothing);
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // never hold up the app upgrading its database
      if (!db.objectStoreNames.contains("meta")) {
        db.close();
        resolve(nothing);
        return;
      }
      const tx = db.transaction("meta");
      const reads = keys.map((key) => tx.objectStore("meta").get(key));
      tx.oncomplete = () => {
        db.close();
        resolve(reads.map((read) => read.result ?? null));
      };
      tx.onerror = () => resolve(nothing);
    };
  });
}

async function precacheShell() {
  const cache = await caches.open(CACHE);
  // Without cookies: the shell is the same for everyone, and an answer that arrives after the
  // person signed in must not be able to touch their session (credentials "omit" neither sends
  // cookies nor stores any the answer sets).
  await cache.addAll(SHELL_FILES.map((path) => new Request(path, { credentials: "omit" })));
  // Take over at once: what a person saves lives in IndexedDB, which a new worker keeps.
  await self.skipWaiting();
}

async function deleteOldCaches() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith("lw-shell-") && name !== CACHE)
      .map((name) => caches.delete(name)),
  );
  await self.clients.claim();
}

async function networkFirstPage(request) {
  let timer;
  const slow = new Promise((resolve, reject) => {
    // Never for a form post: a slow one may still be saved, and offering the offline form
    // then would invite the person to save the same thing twice.
    if (request.method === "GET") {
      timer = setTimeout(() => reject(new Error("no answer")), NETWORK_TIMEOUT_MS);
    }
  });
  try {
    return await Promise.race([fetch(request), slow]);
  } catch {
    const cache = await caches.open(CACHE);
    // A page kept whole (no patient data: "Get help now", say) opens as itself; any other
    // page, as the shell that draws it from the phone's store.
    const kept = request.method === "GET" && (await cache.match(new URL(request.url).pathname));
    return kept || (await cache.match(OFFLINE_PAGE)) || Response.error();
  } finally {
    clearTimeout(timer);
  }
}

/*
 * Background Sync: the sync client is an ES module and this worker a classic script, so the
 * worker asks an open page of the app to sync and waits for its answer. With no page open, or
 * the send failing, the promise rejects and the browser tries again later; the app also sends
 * its outbox whenever it next opens.
 */
async function askAPageToSync() {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  if (pages.length === 0) throw new Error("No page open to sync from; the browser will retry.");
  const answer = await new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (message) => resolve(message.data);
    pages[0].postMessage({ type: "sync-requested" }, [channel.port2]);
    setTimeout(() => resolve({ ok: false }), 60_000);
  });
  if (!answer.ok) throw new Error("Not everything was sent; the browser will retry.");
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) || fetch(request);
}
