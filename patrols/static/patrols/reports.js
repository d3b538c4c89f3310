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

  /* --- list ------------------------------------------------------------------------ */
  function renderWaiting() {
    var ul = document.getElementById("waiting");
    if (!ul) return;
    HouhuOutbox.all().then(function (items) {
      items = items.filter(function (i) { return i.user === undefined || i.user === C.userId; });
      ul.innerHTML = "";
      items.forEach(function (item) {
        var li = el("li"), box = el("div", "item");
        var title = el("div", "title");
        title.appendChild(el("span", null, (C.kinds && C.kinds[item.fields.kind]) || item.fields.kind));
        title.appendChild(el("span", "badge " + (item.error ? "s-rejected" : "waiting"), item.error ? fmt(T.failed, { error: item.error }) : T.waiting_item));
        box.appendChild(title);
        box.appendChild(el("div", "meta", when(new Date(item.created).toISOString()) + (item.fields.note ? " · " + item.fields.note : "")));
        if (item.error) {
          var b = el("button", "btn2 danger", T.discard); b.type = "button";
          b.onclick = function () { HouhuOutbox.remove(item.client_id).then(renderWaiting); };
          box.appendChild(b);
        }
        li.appendChild(box); ul.appendChild(li);
      });
    });
  }

  function renderList(ul) {
    getJSON(ul.getAttribute("data-api") + "?limit=100").then(function (page) {
      var rows = page.results || page;
      ul.innerHTML = "";
      statusEl.textContent = rows.length ? "" : T.empty;
      rows.forEach(function (r) {
        var li = el("li"), a = el("a", "item");
        a.href = ul.getAttribute("data-detail") + r.id + "/";
        a.setAttribute("data-report", r.id);
        var title = el("div", "title");
        title.appendChild(el("span", null, r.kind_label || r.kind));
        title.appendChild(badge(r));
        a.appendChild(title);
        var meta = [when(r.submitted_at)];
        if (r.in_zone) meta.push(T.in_zone);
        if (r.note) meta.push(r.note);
        a.appendChild(el("div", "meta", meta.join(" · ")));
        li.appendChild(a); ul.appendChild(li);
      });
    }).catch(function () { statusEl.textContent = T.load_failed; });
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
      box.appendChild(dl);
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
    renderWaiting(); renderList(list);
    HouhuOutbox.onChange(function () { renderWaiting(); renderList(list); });
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
