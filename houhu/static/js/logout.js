/* On log-out, drop the pages and data the service worker kept for use without signal
 * (houhu-pages-*): on a phone shared by a household, the next person must not read them
 * offline. The same on any page seen logged out (the log-in page after a session ended,
 * or a log-out made without this script). Static files and basemap tiles are nobody's
 * and stay. The outbox (IndexedDB) is kept: its reports belong to the account that wrote
 * them and are sent only when that account logs in again (patrols/outbox.js).
 *
 * Hand-written: a dozen lines, no library does this. */
(function () {
  "use strict";
  if (!("caches" in window)) return;
  // houhu-patrols-: the caches of the former /patrols/ worker.
  var PERSONAL = ["houhu-pages-", "houhu-patrols-"];
  function clearPersonal() {
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return PERSONAL.some(function (p) { return k.indexOf(p) === 0; });
      }).map(function (k) { return caches.delete(k); }));
    });
  }
  if (!document.querySelector("form[data-logout]")) {
    clearPersonal().then(function () { document.documentElement.setAttribute("data-personal-cleared", "1"); });
    return;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-logout") || form.dataset.cleared) return;
    event.preventDefault();
    // Never keep someone from logging out: go on after a second whatever happened.
    var timeout = new Promise(function (resolve) { setTimeout(resolve, 1000); });
    Promise.race([clearPersonal(), timeout]).catch(function () {}).then(function () {
      form.dataset.cleared = "1";
      form.submit();
    });
  });
})();
