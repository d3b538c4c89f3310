/* The former worker of the /patrols/ pages, retired: the site's worker (/sw.js) now keeps
 * every villager page. A phone that still has this one installed fetches this text on its
 * next update check; it then removes itself and its caches, so that the root worker
 * controls /patrols/ (a narrower scope would otherwise win). */
"use strict";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("houhu-patrols-") === 0; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.registration.unregister(); }));
});
