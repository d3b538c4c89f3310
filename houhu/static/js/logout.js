/* On log-out, drop the pages and report lists the patrols service worker kept for use
 * without signal: on a phone shared by a household, the next person must not read them
 * offline. The outbox (IndexedDB) is kept: its reports belong to the account that wrote
 * them and are sent only when that account logs in again (outbox.js).
 *
 * Hand-written: a dozen lines, no library does this. */
(function () {
  "use strict";
  var PREFIX = "houhu-patrols-";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-logout") || !("caches" in window) || form.dataset.cleared) return;
    event.preventDefault();
    var cleared = caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(PREFIX) === 0; })
        .map(function (k) { return caches.delete(k); }));
    });
    // Never keep someone from logging out: go on after a second whatever happened.
    var timeout = new Promise(function (resolve) { setTimeout(resolve, 1000); });
    Promise.race([cleared, timeout]).catch(function () {}).then(function () {
      form.dataset.cleared = "1";
      form.submit();
    });
  });
})();
