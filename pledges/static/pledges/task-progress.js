/* Polls the task-status endpoint after "derive front doors" and shows the progress bar.
   Stops when the task reports SUCCESS or FAILURE; the back-off keeps weak links quiet. */
(function () {
  "use strict";
  var box = document.getElementById("task-progress");
  if (!box || !box.dataset.statusUrl) { return; }
  var bar = box.querySelector(".progress > span");
  var text = box.querySelector(".progress-text");
  var labels = JSON.parse(document.getElementById("task-labels").textContent);
  var delay = 700;
  function tick() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var done = s.done || s.current || 0;
        var total = s.total || 0;
        var pct = total ? Math.round((100 * done) / total) : (s.state === "SUCCESS" ? 100 : 0);
        bar.style.width = pct + "%";
        bar.parentNode.setAttribute("aria-valuenow", String(pct));
        box.dataset.state = s.state;
        if (s.state === "SUCCESS") {
          var r = s.result || {};
          text.textContent = labels.success.replace("%(with)s", String(r.with_segment || 0))
            .replace("%(total)s", String(r.total || total || 0)).replace("%(far)s", String(r.too_far || 0));
          return;
        }
        if (s.state === "FAILURE") { text.textContent = labels.failure; return; }
        text.textContent = labels.running.replace("%(done)s", String(done)).replace("%(total)s", String(total || "?"));
        delay = Math.min(delay * 1.3, 4000);
        window.setTimeout(tick, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 8000); window.setTimeout(tick, delay); });
  }
  tick();
})();
