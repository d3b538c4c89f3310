/* "My reports" and one report's page, rendered from the API (the API decides what this
 * user may see). Reports still waiting in the phone's outbox are listed first. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("patrols-i18n").textContent);
  var C = JSON.parse(document.getElementById("patrols-config").textContent);
  var statusEl = document.getElementById("list-status");
  HouhuOutbox.setUser(C.userId);

  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; }); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(document.documentElement.lang || undefined,
      { year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  function name(x) { return !x ? "" : typeof x === "string" ? x : x.name || x.display_name || x.username || ""; }
  function badge(r) { return el("span", "badge s-" + r.status, r.status_label || r.status); }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { if (!res.ok) throw new Error(res.status); return res.json(); });
  }

  /* --- this phone's outbox: what waits to be sent, what was sent ------------------- */
  // The list of the server's reports is in the page itself (one request per visit).
  function renderOutbox() {
    var box = document.getElementById("phone-outbox");
    if (!box) return Promise.resolve();
    var waitingUl = document.getElementById("waiting"), sentUl = document.getElementById("sent");
    var dayAgo = Date.now() - 24 * 3600 * 1000;
    return Promise.all([HouhuOutbox.all(), HouhuOutbox.sentLog(C.userId)]).then(function (both) {
      var items = both[0].filter(function (i) { return i.user === undefined || i.user === C.userId; });
      var sent = both[1].filter(function (r) { return r.sent_at > dayAgo; });
      waitingUl.innerHTML = ""; sentUl.innerHTML = "";
      waitingUl.setAttribute("data-count", items.length); sentUl.setAttribute("data-count", sent.length);
      items.forEach(function (item) {
        var li = el("li"), row = el("div", "item");
        var title = el("div", "title");
        title.appendChild(el("span", null, (C.kinds && C.kinds[item.fields.kind]) || item.fields.kind));
        title.appendChild(el("span", "badge " + (item.error ? "s-rejected" : "waiting"), item.error ? fmt(T.failed, { error: item.error }) : T.waiting_item));
        row.appendChild(title);
        row.appendChild(el("div", "meta", when(new Date(item.created).toISOString()) + (item.fields.note ? " · " + item.fields.note : "")));
        if (item.error) {
          var b = el("button", "btn2 danger", T.discard); b.type = "button";
          b.onclick = function () { HouhuOutbox.remove(item.client_id).then(renderOutbox); };
          row.appendChild(b);
        }
        li.appendChild(row); waitingUl.appendChild(li);
      });
      sent.forEach(function (r) {
        var li = el("li"), a = el("a", "item");
        a.href = C.detailBase + r.report + "/";
        var title = el("div", "title");
        title.appendChild(el("span", null, (C.kinds && C.kinds[r.kind]) || r.kind));
        title.appendChild(el("span", "badge s-verified", fmt(T.sent_at, { at: when(new Date(r.sent_at).toISOString()) })));
        a.appendChild(title); li.appendChild(a); sentUl.appendChild(li);
      });
      box.hidden = !items.length && !sent.length;
    });
  }

  /* --- one report -------------------------------------------------------------------- */
  function photoUrls(p) {
    return {
      thumb: p.thumbnail_url || p.thumbnail || p.image_url || p.image || p.url,
      full: p.image_url || p.image || p.url || p.thumbnail_url || p.thumbnail,
    };
  }
  function renderDetail(box) {
    getJSON(box.getAttribute("data-api")).then(function (r) {
      box.innerHTML = "";
      var h = el("h1", null, r.kind_label || r.kind); h.appendChild(document.createTextNode(" "));
      h.appendChild(badge(r));
      box.appendChild(h);
      var dl = el("dl", "facts");
      function fact(label, value) { if (value === "" || value == null) return; dl.appendChild(el("dt", null, label)); dl.appendChild(el("dd", null, value)); }
      fact(T.submitted, when(r.submitted_at));
      var detailLabel = r.behaviour_label || r.construction_kind_label || r.damage_kind_label;
      if (detailLabel) fact("", detailLabel);
      if (r.distance_m != null) fact(T.segment, [r.segment && (r.segment.line_name || r.segment.code || r.segment), fmt(T.distance, { m: Math.round(r.distance_m * 10) / 10 }), r.in_zone ? T.in_zone : ""].filter(Boolean).join(" · "));
      if (r.district) fact(T.district, r.district.name || r.district_name || r.district);
      if (r.cleared_by) fact(T.cleared, [C.clearedBy[r.cleared_by], r.trees_removed != null ? fmt(T.trees_removed, { n: r.trees_removed }) : ""].filter(Boolean).join(" · "));
      fact(T.note, r.note);
      if (r.sighting_count) fact(T.sightings_label, fmt(T.sightings, { n: r.sighting_count }));
      box.appendChild(dl);
      if (window.HouhuPlaceMap && r.lon != null) {
        box.appendChild(el("h2", null, T.place));
        var place = el("div", "place-map"); place.id = "place-map";
        box.appendChild(place);
        HouhuPlaceMap.draw(place, { lon: r.lon, lat: r.lat, segments: C.segments, label: T.place });
      }
      if (r.photos && r.photos.length) {
        box.appendChild(el("h2", null, T.photos));
        var g = el("div", "gallery");
        r.photos.forEach(function (p) {
          var u = photoUrls(p), a = el("a"); a.href = u.full; a.target = "_blank";
          var img = el("img"); img.src = u.thumb; img.alt = p.stage_label || ""; img.loading = "lazy";
          a.appendChild(img); g.appendChild(a);
        });
        box.appendChild(g);
      }
      if (r.events && r.events.length) {
        box.appendChild(el("h2", null, T.history));
        var ol = el("ol", "history");
        r.events.forEach(function (e) {
          var li = el("li");
          li.appendChild(el("strong", null, e.to_status_label || e.action_label || e.to_status || e.action));
          li.appendChild(el("span", "meta", " " + when(e.at) + " " + fmt(T.by, { name: name(e.actor_name || e.actor) })));
          if (e.note) li.appendChild(el("div", null, e.note));
          if (e.details && e.details.length) li.appendChild(el("div", "meta", e.details.join(" · ")));
          ol.appendChild(li);
        });
        box.appendChild(ol);
      }
      var nf = document.getElementById("not-fixed");
      nf.hidden = (r.allowed_actions || []).indexOf("not_fixed") < 0;
    }).catch(function () { box.innerHTML = ""; box.appendChild(el("p", "error", T.load_failed)); });
  }

  function sayNotFixed(box) {
    var btn = document.getElementById("not-fixed-send"), msg = document.getElementById("not-fixed-msg");
    btn.disabled = true;
    fetch(box.getAttribute("data-api") + "actions/", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": HouhuOutbox.csrf(), Accept: "application/json" },
      body: JSON.stringify({ action: "not_fixed", note: document.getElementById("not-fixed-note").value }),
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) throw new Error(HouhuOutbox.errorText(data) || res.status);
        msg.className = ""; msg.textContent = T.not_fixed_done;
        renderDetail(box);
      });
    }).catch(function (e) { msg.className = "error"; msg.textContent = e.message; })
      .then(function () { btn.disabled = false; });
  }

  var list = document.getElementById("reports");
  var noticeButton = document.getElementById("my-notices");
  if (noticeButton && window.HouhuNotices) {
    HouhuNotices.mount(noticeButton, document.getElementById("my-notices-list"), {
      api: noticeButton.getAttribute("data-api"), label: T.notices, empty: T.no_notices,
      open: function (id) { location.href = C.detailBase + id + "/"; },
    });
  }
  if (list) {
    renderOutbox();
    HouhuOutbox.onChange(renderOutbox);
    window.addEventListener("online", function () { HouhuOutbox.flush(); });
    HouhuOutbox.flush();
  }
  var one = document.getElementById("report");
  if (one) {
    renderDetail(one);
    document.getElementById("not-fixed-send").addEventListener("click", function () { sayNotFixed(one); });
  }
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(C.sw).catch(function () {});
})();
