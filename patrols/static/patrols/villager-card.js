/* The villager home page's patrol card: what is still on this phone waiting to be sent,
   and what this phone sent today, read from the outbox (IndexedDB); a send if
   the phone is online, and both counts follow what the send did. */
(function () {
  "use strict";
  var waitingEl = document.getElementById("patrols-waiting");
  var sentEl = document.getElementById("patrols-sent");
  if (!waitingEl || !window.HouhuOutbox) return;
  var user = Number(waitingEl.dataset.user);
  HouhuOutbox.setUser(user);

  function show(el, n) {
    el.hidden = !n;
    el.setAttribute("data-count", n);
    if (n) el.textContent = el.dataset.label.replace("{n}", n);
  }
  function refresh() {
    var today = new Date(); today.setHours(0, 0, 0, 0); // the phone's midnight
    return Promise.all([HouhuOutbox.all(), HouhuOutbox.sentLog(user)]).then(function (both) {
      var waiting = both[0].filter(function (i) { return !i.error && (i.user === undefined || i.user === user); }).length;
      show(waitingEl, waiting);
      if (sentEl) show(sentEl, both[1].filter(function (r) { return r.sent_at >= today.getTime(); }).length);
      return waiting;
    });
  }
  HouhuOutbox.onChange(refresh);
  refresh().then(function (waiting) { if (waiting && navigator.onLine) HouhuOutbox.flush(); });
  window.addEventListener("online", function () { HouhuOutbox.flush(); });
})();
