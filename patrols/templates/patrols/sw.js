{% load static %}/* Service worker of the patrols pages (scope /patrols/).
 * - Keeps the report page shell and its assets, so the form opens with no signal.
 * - Sends the outbox (outbox.js) on Background Sync, even with the page closed.
 * Reports are never POSTed through a cache: POSTs go straight to the network. */
"use strict";
importScripts("{% static 'patrols/outbox.js' %}");

// Bumped with the asset URLs: a change to a static file changes this text and so
// installs a new worker that drops the old cache.
var CACHE = "houhu-patrols-{{ version }}";
var SHELL = [
  "{% url 'patrols:report_new' %}",
  "{% url 'patrols:my_reports' %}",
  "{% static 'css/houhu.css' %}",
  "{% static 'patrols/patrols.css' %}",
  "{% static 'patrols/outbox.js' %}",
  "{% static 'patrols/report.js' %}",
  "{% static 'patrols/reports.js' %}",
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // One missing asset must not leave the villager without any offline page.
    return Promise.all(SHELL.map(function (url) {
      return cache.add(new Request(url, { credentials: "same-origin" })).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("houhu-patrols-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  var url = new URL(req.url);
  if (url.pathname.indexOf("{% get_static_prefix %}") === 0) {
    // Static assets: the cached copy at once, refreshed in the background.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(req).then(function (hit) {
        var fresh = fetch(req).then(function (res) {
          if (res.ok) cache.put(req, res.clone());
          return res;
        });
        return hit || fresh;
      });
    }));
    return;
  }
  if (req.mode === "navigate" || url.pathname.indexOf("/api/patrols/reports/") === 0) {
    // Pages and the villager's own list: the network first (fresh statuses), the last
    // copy when there is no signal.
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(CACHE).then(function (cache) { cache.put(req, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(req, { ignoreSearch: req.mode === "navigate" }).then(function (hit) {
        return hit || caches.match("{% url 'patrols:report_new' %}");
      });
    }));
  }
});

function tellPages(result) {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (pages) {
    pages.forEach(function (p) { p.postMessage({ type: "houhu-outbox", result: { waiting: result.waiting, failedTotal: result.failedTotal, sent: result.sent } }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "houhu-outbox") {
    event.waitUntil(HouhuOutbox.flush().then(function (result) {
      // Rejecting makes the browser retry the sync later: do that while items wait.
      return tellPages(result).then(function () {
        if (result.waiting) throw new Error("still offline");
      });
    }));
  }
});
