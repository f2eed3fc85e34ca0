/* The service worker: keeps the app shell so the app opens with no signal.
 *
 * Served by pwa/views/app_shell.py, which replaces the two placeholders below with the app's
 * version (so every deploy installs a new worker and cache) and the files to precache.
 * Patient data never goes into Cache Storage: pages are fetched from the network, and only the
 * data-free offline page is kept for when that fails.
 */
const VERSION = "__APP_VERSION__";
const SHELL_FILES = __SHELL_FILES__;
const CACHE = `lw-shell-${VERSION}`;
const OFFLINE_PAGE = "/offline";

self.addEventListener("install", (event) => {
  event.waitUntil(precacheShell());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(deleteOldCaches());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return; // the network, untouched: the sync API, form posts, other sites
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request));
  } else if (SHELL_FILES.includes(new URL(request.url).pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

async function precacheShell() {
  const cache = await caches.open(CACHE);
  await cache.addAll(SHELL_FILES);
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
  try {
    return await fetch(request);
  } catch {
    const cache = await caches.open(CACHE);
    return (await cache.match(OFFLINE_PAGE)) || Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) || fetch(request);
}
