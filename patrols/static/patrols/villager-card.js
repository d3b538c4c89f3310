/* The villager home page's patrol card: the count of reports still on this phone, read
   from the outbox (IndexedDB), and a send if the phone is online. */
(function () {
  "use strict";
  var el = document.getElementById("patrols-waiting");
  if (!el || !window.HouhuOutbox) return;
  var user = Number(el.dataset.user);
  HouhuOutbox.setUser(user);
  HouhuOutbox.all().then(function (items) {
    var n = items.filter(function (i) { return !i.error && (i.user === undefined || i.user === user); }).length;
    if (n) { el.hidden = false; el.textContent = el.dataset.label.replace("{n}", n); }
    if (n && navigator.onLine) HouhuOutbox.flush();
  });
})();
