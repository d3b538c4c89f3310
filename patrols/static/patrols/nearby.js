/* Before a report is sent: is the same hazard already reported within 30 m?
 * (GET /api/patrols/nearby/: kind, distance, age and status, nothing personal.) If so the
 * villager may add theirs to it (POST /api/patrols/sightings/: a sighting, not a second
 * report) or send their own anyway. Used by report.js. */
(function () {
  "use strict";
  var WAIT_MS = 5000; // on weak signal, do not hold the villager up longer than this

  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; }); }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /* Resolves the nearby open reports, or [] when the question cannot be answered now. */
  function check(api, f) {
    if (navigator.onLine === false || f.kind === "nothing_found") return Promise.resolve([]);
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, WAIT_MS);
    var url = api + "?" + new URLSearchParams({ kind: f.kind, lon: f.lon, lat: f.lat }).toString();
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: ctrl && ctrl.signal })
      .then(function (r) { return r.ok ? r.json() : []; })
      .catch(function () { return []; })
      .then(function (rows) { clearTimeout(timer); return Array.isArray(rows) ? rows : []; });
  }

  function age(T, hours) {
    if (hours < 1) return T.age_now;
    if (hours < 48) return fmt(T.age_hours, { n: hours });
    return fmt(T.age_days, { n: Math.floor(hours / 24) });
  }

  /* Shows the panel (#nearby): one "this one" button per report, one "send mine". */
  function offer(rows, T, on) {
    var box = document.getElementById("nearby"), list = document.getElementById("nearby-list");
    list.innerHTML = "";
    rows.forEach(function (row) {
      var li = document.createElement("li");
      var p = document.createElement("p");
      p.textContent = fmt(T.nearby_row, { kind: row.kind_label, m: Math.round(row.distance_m), age: age(T, row.age_hours), status: row.status_label });
      var b = document.createElement("button");
      b.type = "button"; b.className = "primary nearby-add"; b.textContent = T.nearby_add;
      b.setAttribute("data-report", row.id);
      b.onclick = function () { b.disabled = true; on.add(row).then(function () { b.disabled = false; }); };
      li.appendChild(p); li.appendChild(b); list.appendChild(li);
    });
    document.getElementById("nearby-send").onclick = on.send;
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
  }

  function addSighting(api, body) {
    return fetch(api, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) throw new Error((data && (data.detail || data.report)) || String(res.status));
        return data;
      });
    });
  }

  window.HouhuNearby = { check: check, offer: offer, addSighting: addSighting };
})();
