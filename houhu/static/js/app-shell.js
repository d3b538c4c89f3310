/* Loaded by the villager's pages (base.html): installs the site's service worker (/sw.js)
 * and asks it to fetch the villager pages this phone does not keep yet, so that after
 * one visit with signal the home page, the compact, "my responsibility", the report form
 * and "my records" all open without signal. <html data-offline-ready> says when that is
 * done (the page shows it, the browser tests wait for it). */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!("serviceWorker" in navigator) || !me) return;
  var root = document.documentElement;
  function warm(reg) {
    if (navigator.onLine === false || !reg.active) return;
    reg.active.postMessage({ type: "warm" });
  }
  navigator.serviceWorker.addEventListener("message", function (event) {
    var d = event.data || {};
    if (d.type === "warmed") {
      root.setAttribute("data-offline-ready", d.pages + "/" + d.of);
      var note = document.getElementById("offline-ready");
      if (note && d.pages === d.of) note.hidden = false;
    }
  });
  navigator.serviceWorker.register(me.getAttribute("data-sw"), { scope: "/" })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(warm)
    .catch(function () { /* the pages work without it, only not offline */ });
  window.addEventListener("online", function () { navigator.serviceWorker.ready.then(warm); });
})();
