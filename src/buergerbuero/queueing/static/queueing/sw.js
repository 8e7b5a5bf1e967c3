/*
 * Service worker of the live queue (scope /warteschlange/).
 *
 * - Web Push: shows the notification the server sent ({title, body, url, tag}); a click focuses the
 *   ticket page if it is open, else opens it.
 * - A flaky connection: ticket pages and their status.json are fetched from the network first and
 *   kept; without a network the last copy is shown. The page's scripts, styles and icons under
 *   /static/ are served from the cache and refreshed in the background. The live stream, forms and
 *   everything else go to the network untouched.
 */
"use strict";

var CACHE = "queueing-ticket-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("queueing-ticket-") === 0 && name !== CACHE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function networkFirst(request) {
  return fetch(request)
    .then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) {
          cache.put(request, copy);
        });
      }
      return response;
    })
    .catch(function () {
      return caches.match(request).then(function (cached) {
        return cached || Response.error();
      });
    });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (cached) {
      var refresh = fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      });
      return cached || refresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (/\/warteschlange\/ticket\/[0-9a-f-]+\/(status\.json)?$/.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf("/static/") === 0 && request.headers.get("Accept") !== "text/event-stream") {
    event.respondWith(cacheFirst(request));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  var title = data.title || "";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || "",
      tag: data.tag || undefined,
      renotify: Boolean(data.tag),
      requireInteraction: true,
      vibrate: [300, 150, 300, 150, 300],
      icon: "/static/queueing/icons/icon-192.png",
      data: { url: data.url || self.registration.scope },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || self.registration.scope;
  var path = new URL(target, self.location.origin).pathname;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (new URL(windows[i].url).pathname === path && "focus" in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
