/* Imported by the site's service worker (/sw.js) after outbox.js: sends the report outbox
 * on Background Sync, even with the page closed, and tells the open pages what happened. */
(function () {
  "use strict";
  function tellPages(result) {
    return self.clients.matchAll({ includeUncontrolled: true }).then(function (pages) {
      pages.forEach(function (p) {
        p.postMessage({ type: "houhu-outbox", result: { waiting: result.waiting, failedTotal: result.failedTotal, sent: result.sent } });
      });
    });
  }
  self.addEventListener("sync", function (event) {
    if (event.tag !== "houhu-outbox") return;
    event.waitUntil(HouhuOutbox.flush().then(function (result) {
      // Rejecting makes the browser retry the sync later: do that while items wait.
      return tellPages(result).then(function () {
        if (result.waiting) throw new Error("still offline");
      });
    }));
  });
})();
