{% autoescape off %}/* Service worker of the Bürgerbüro portal, served from /sw.js so that its scope is the whole site.
 *
 * - Install: precache the offline page and the static shell.
 * - Pages: network first; a copy of public pages is kept, so that they (or else the offline page)
 *   can be shown without a connection.
 * - Static files: from the cache, refreshed in the background.
 * - Never cached: anything but GET (POSTs go straight to the network), personal, staff and API paths.
 */
"use strict";

const CACHE = "buergerbuero-{{ version }}";
const OFFLINE_URL = {{ offline_url }};
const PRECACHE = {{ precache }};
const NEVER_CACHED = {{ never_cached }};
const STATIC_PREFIX = {{ static_prefix }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("buergerbuero-") && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

function isNeverCached(url) {
  return NEVER_CACHED.some((prefix) => url.pathname.startsWith(prefix));
}

function isStorable(response) {
  const cacheControl = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/no-store|private/.test(cacheControl);
}

async function offlineFallback(request) {
  return (request && (await caches.match(request))) || (await caches.match(OFFLINE_URL)) || Response.error();
}

async function networkFirst(request, store) {
  try {
    const response = await fetch(request);
    if (store && isStorable(response)) {
      const cache = await caches.open(CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    return offlineFallback(store ? request : null);
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request);
  const refresh = fetch(event.request).then((response) => {
    if (isStorable(response)) {
      return cache.put(event.request, response.clone()).then(() => response);
    }
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // Personal pages are fetched but never stored; offline they get the offline page.
    event.respondWith(networkFirst(request, !isNeverCached(url)));
    return;
  }
  if ((url.pathname.startsWith(STATIC_PREFIX) || url.pathname.endsWith("/brand.css")) && !isNeverCached(url)) {
    event.respondWith(staleWhileRevalidate(event));
  }
});
{% endautoescape %}
