/* The villager app's service worker, served at /sw.js (houhu.accounts.app_views) so that
 * its scope is the whole site. What it keeps is registered by the apps
 * (houhu.accounts.offline):
 * - pages (home, compact, responsibility, report form, my records): the network first,
 *   for fresh statuses; the last copy when there is no signal. Fetched once, ahead of
 *   need, when the villager opens any page, so all open offline after a single visit;
 * - static files: the cached copy first (their URLs change with their contents in
 *   production; the cache name changes with them here);
 * - basemap tiles seen once: a bounded cache, the oldest dropped first.
 * Nothing else is touched: staff pages and every POST go straight to the network.
 * The personal caches (pages, the data they fetched) are deleted on log-out (logout.js). */
"use strict";
var CONFIG = {{ config|safe }};
// The outbox's sender (patrols): sends queued reports on Background Sync, page closed.
CONFIG.workerScripts.forEach(function (src) { importScripts(src); });

var STATIC = "houhu-static-" + CONFIG.version;
var PAGES = "houhu-pages-" + CONFIG.version;
var TILES = "houhu-tiles";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    // One missing asset must not leave the villager without any offline page.
    return Promise.all(CONFIG.assets.map(function (url) { return cache.add(url).catch(function () {}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      // Older versions, and the caches of the former /patrols/ worker.
      return (k.indexOf("houhu-static-") === 0 && k !== STATIC) ||
        (k.indexOf("houhu-pages-") === 0 && k !== PAGES) || k.indexOf("houhu-patrols-") === 0;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(url) {
  if (CONFIG.pages.indexOf(url.pathname) >= 0) return true;
  return CONFIG.prefixes.some(function (p) { return url.pathname.indexOf(p) === 0; });
}

/* Only what the server sent for this user as it is: a redirect (to the log-in page, once
 * the session has ended) or an error page is never kept. */
function keepable(res) { return res && res.ok && !res.redirected && res.type === "basic"; }

function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

/* A page never opened on this phone, with no signal: say so rather than the browser's
 * error page. No script, no style: the strictest policy. */
function offlinePage() {
  var html = '<!DOCTYPE html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<p>" + esc(CONFIG.offlineText) + '</p><p><a href="' + esc(CONFIG.home) + '">' + esc(CONFIG.homeText) + "</a></p>";
  return new Response(html, { status: 503, headers: {
    "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "default-src 'none'" } });
}

function networkFirst(req) {
  return fetch(req).then(function (res) {
    if (keepable(res)) {
      var copy = res.clone();
      caches.open(PAGES).then(function (c) { return c.put(req, copy); });
    }
    return res;
  }).catch(function () {
    // Vary: Cookie and Accept-Language are the server's; on this phone it is one user.
    return caches.open(PAGES).then(function (c) { return c.match(req, { ignoreVary: true }); }).then(function (hit) {
      if (hit) return hit;
      if (req.mode === "navigate") return offlinePage();
      return new Response("", { status: 503 });
    });
  });
}

function cacheFirst(req) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok) cache.put(req, res.clone());
        return res;
      });
    });
  });
}

function isTile(url) {
  return CONFIG.tiles.prefixes.some(function (p) { return url.indexOf(p) === 0; });
}

/* Tiles seen once stay for use offline, at most maxEntries of them (cache.keys() is in
 * insertion order: the oldest go first). Only readable (CORS) answers are kept: an opaque
 * one would count for megabytes of the phone's quota. */
function tile(req) {
  return caches.open(TILES).then(function (cache) {
    return cache.match(req).then(function (hit) {
      if (hit) return hit;
      return fetch(req).then(function (res) {
        if (res.ok && res.type === "cors") {
          cache.put(req, res.clone()).then(function () { return cache.keys(); }).then(function (keys) {
            var extra = keys.length - CONFIG.tiles.maxEntries;
            return Promise.all(keys.slice(0, Math.max(extra, 0)).map(function (k) { return cache.delete(k); }));
          });
        }
        return res;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    if (CONFIG.tiles.prefixes.length && isTile(req.url)) event.respondWith(tile(req));
    return;
  }
  if (url.pathname.indexOf(CONFIG.static) === 0) { event.respondWith(cacheFirst(req)); return; }
  if (kept(url)) event.respondWith(networkFirst(req));
});

/* "warm": a villager page was opened online; fetch the villager pages not kept yet. */
self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "warm") return;
  var source = event.source;
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(CONFIG.pages.map(function (url) {
      return cache.match(url, { ignoreVary: true }).then(function (hit) {
        if (hit) return true;
        return fetch(url, { credentials: "same-origin" }).then(function (res) {
          return keepable(res) ? cache.put(url, res).then(function () { return true; }) : false;
        }, function () { return false; });
      });
    }));
  }).then(function (done) {
    if (source) source.postMessage({ type: "warmed", pages: done.filter(Boolean).length, of: CONFIG.pages.length });
  }));
});
