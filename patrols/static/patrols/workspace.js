/* Staff map workspace: reports as vector tiles over the grid's districts and line
 * segments, filters that redraw the report layer, a search list for older reports, and a
 * side panel with the report's facts, photos, history and the actions open to this user
 * (decided by the API).
 *
 * Grouping on the server (PostGIS counts the reports per cell of each tile, see
 * patrols/tiles.py), not in the browser: a county has millions of reports, and the map
 * must not ship them all to count them. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("patrols-i18n").textContent);
  var C = JSON.parse(document.getElementById("patrols-config").textContent);
  var mapEl = document.getElementById("ws-map");
  var panel = document.getElementById("ws-panel");
  var filters = document.getElementById("filters");
  var countEl = document.getElementById("ws-count");
  // The same colours as the phone's kind buttons (patrols.css).
  var KIND_COLOURS = { tree: "#2e7d32", construction: "#e65100", behaviour: "#c62828",
    damage: "#6a1b9a", other: "#546e7a", nothing_found: "#0277bd" };
  // Status groups come from the server (Report.OPEN_STATUSES, the workflow's triage
  // statuses) through the page config: never restated here.
  function set(list) { var o = {}; list.forEach(function (k) { o[k] = 1; }); return o; }
  var OPEN = set(C.openStatuses), NEW = set(C.triageStatuses), TO_VERIFY = set(C.toVerifyStatuses);
  var current = null; // id of the report in the panel

  function fmt(s, vars) { return String(s).replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; }); }
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
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { if (!res.ok) throw new Error(res.status); return res.json(); });
  }

  /* --- the map and the grid under the reports ------------------------------------------ */
  // The shared station map (static/js/houhu-map.js) draws the grids and segments the same
  // way on every staff page, with or without a tile server.
  var hm = window.HouhuMap.create(mapEl, {
    layers: ["districts", "segments"], labels: { districts: T.districts, segments: T.segments },
  });
  var map = hm.map, layerControl = hm.layerControl;

  /* --- reports ---------------------------------------------------------------------- */
  // The server's vector tiles (houhu/grid/tiles.py, patrols/tiles.py): open reports and
  // those closed in the last C.mapClosedDays days. Zoomed out, PostGIS counts them per
  // cell (how many, how many open, open inside the protection zone); from zoom
  // C.reportPointsMinZoom every report is drawn. The map's payload is bounded by the view,
  // however many years the ledger holds; older reports are found by the search list
  // (From/To, the search box: the paged report API).
  // A pane above the grid; SVG tiles, so a click beside a report falls through to the
  // segments below (canvas tiles would take every click).
  map.createPane("reports").style.zIndex = 450;
  // A cell says how urgent its contents are: red if an open hazard inside the protection
  // zone is in it, orange if anything is still open, grey if all are closed.
  var CELL_COLOURS = { urgent: "#c62828", open: "#ef6c00", closed: "#78909c" };
  function cellStyle(p) {
    var level = p.urgent ? "urgent" : p.open ? "open" : "closed";
    return { radius: HouhuTiles.cellRadius(p.n) + 4, fill: true, fillColor: CELL_COLOURS[level],
      fillOpacity: 0.75, color: "#fff", weight: 2 };
  }
  function styleFor(p) {
    var colour = KIND_COLOURS[p.kind] || "#555";
    var closed = !OPEN[p.status], fresh = NEW[p.status];
    return {
      radius: p.in_zone ? 9 : 7, fill: true, color: fresh ? "#fff" : closed ? colour : "#212121",
      weight: fresh ? 3 : 2, fillColor: colour, fillOpacity: closed ? 0.25 : 0.9,
      opacity: closed ? 0.5 : 1, dashArray: TO_VERIFY[p.status] ? "3 3" : null,
    };
  }

  // The filters that apply to the map; dates and the search box drive the search list.
  var MAP_FILTERS = { kind: 1, status: 1, district: 1, in_zone: 1 };
  function query(keep) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(filters.elements, function (f) {
      if (!f.name || (keep && !keep[f.name])) return;
      if (f.type === "checkbox") { if (f.checked) params.set(f.name, f.value); }
      else if (f.value) params.set(f.name, f.value);
    });
    return params.toString();
  }

  var reports = HouhuTiles.layer("reports", {
    pane: "reports", svg: true, query: query(MAP_FILTERS),
    style: function (p) { return p.n !== undefined ? cellStyle(p) : styleFor(p); },
  });
  reports.on("click", function (e) {
    var p = e.layer.properties || {};
    // A cell opens onto its reports: zoom in towards the zoom where each one is drawn.
    if (p.n !== undefined) map.setView(e.latlng, Math.min(map.getZoom() + 2, C.reportPointsMinZoom));
    else openReport(e.layer.featureId);
  });
  // The count of what the visible tiles hold, once the shared map has fitted itself to the
  // grids (its "houhu:loaded") and the tiles of that view are drawn, whichever comes last.
  function publishReports() {
    if (mapEl.dataset.ready !== "1" || reports.isLoading()) return;
    var s = reports.summary();
    countEl.textContent = fmt(T.count, { n: s.total });
    mapEl.setAttribute("data-report-count", s.total);
    if (window.performance && performance.mark && !window.patrolsWorkspaceReady) performance.mark("houhu:reports-drawn");
    window.patrolsWorkspaceReady = true;
  }
  reports.on("load", publishReports);
  mapEl.addEventListener("houhu:loaded", publishReports);
  reports.addTo(map);
  layerControl.addOverlay(reports, T.reports);

  function loadReports() {
    reports.setQuery(query(MAP_FILTERS));
    return Promise.resolve();
  }
  // After a step taken here: the tiles of the report's grid are stale on the server (their
  // version moved); redrawing revalidates every tile, unchanged ones answer 304.
  function redrawReports() { reports.redraw(); }

  /* --- search: every report, however old, a page at a time ------------------------- */
  var results = document.getElementById("ws-search");
  var SEARCH_FILTERS = { kind: 1, status: 1, district: 1, in_zone: 1, since: 1, until: 1, q: 1 };
  var PAGE = 20;
  function searching() {
    var f = filters.elements;
    return !!(f.since.value || f.until.value || f.q.value.trim());
  }
  function loadSearch(offset) {
    offset = offset || 0;
    if (!searching()) { results.hidden = true; HouhuDom.clear(results); return Promise.resolve(); }
    var url = mapEl.getAttribute("data-api") + "?" + query(SEARCH_FILTERS) + "&limit=" + PAGE + "&offset=" + offset;
    return getJSON(url).then(function (page) {
      if (!offset) {
        HouhuDom.clear(results);
        results.appendChild(el("h2", null, fmt(T.search_found, { n: page.count })));
        results.appendChild(el("ol", "search-list"));
      }
      var list = results.querySelector("ol");
      var more = results.querySelector(".search-more");
      if (more) more.remove();
      page.results.forEach(function (r) {
        var li = el("li"), a = el("a", "search-open", "#" + r.id + " " + (r.kind_label || r.kind) + " · " +
          (r.status_label || r.status) + " · " + when(r.submitted_at));
        a.href = "#report=" + r.id; a.setAttribute("data-report", r.id);
        li.appendChild(a); list.appendChild(li);
      });
      if (!page.count) results.appendChild(el("p", "hint", T.search_none));
      if (page.next) {
        var b = el("button", "btn2 search-more", T.queue_more); b.type = "button";
        b.onclick = function () { loadSearch(offset + PAGE); };
        results.appendChild(b);
      }
      results.hidden = false;
    }).catch(function () { results.hidden = false; HouhuDom.clear(results).appendChild(el("p", "error", T.load_failed)); });
  }

  function loadCounts() {
    var box = document.getElementById("ws-counts");
    var url = mapEl.getAttribute("data-counts");
    var f = filters.elements, params = new URLSearchParams();
    params.set("level", f.district.value ? "district" : "station");
    ["district", "since", "until"].forEach(function (k) { if (f[k].value) params.set(k, f[k].value); });
    getJSON(url + "?" + params.toString()).then(function (data) {
      var rows = data.results || data;
      if (!Array.isArray(rows)) rows = [rows];
      box.innerHTML = "";
      // The figures and their labels come from patrols.figures through the page config.
      C.counts.forEach(function (k) {
        // A handful of rows (one per grid) already aggregated in SQL by the API; every
        // figure shown here is a count, so the grids add up.
        var total = rows.reduce(function (s, r) { return s + (+r[k.key] || 0); }, 0);
        var span = el("span", null, k.label + " ");
        var b = el("b", null, total); b.setAttribute("data-count", k.key);
        span.appendChild(b); box.appendChild(span);
      });
      // The one time these figures are taken at (the period's end, or now), station time.
      if (rows.length && rows[0].as_of) {
        var at = new Date(rows[0].as_of).toLocaleString(document.documentElement.lang || undefined,
          { timeZone: C.timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
        var stamp = el("span", "hint", fmt(T.counts_as_of, { at: at + " (" + C.timeZone + ")" }));
        stamp.setAttribute("data-testid", "counts-as-of");
        box.appendChild(stamp);
      }
    }).catch(function () { box.innerHTML = ""; });
  }

  /* --- legend -------------------------------------------------------------------------- */
  var legend = L.control({ position: "bottomleft" });
  legend.onAdd = function () {
    var box = el("div", "legend"), title = el("div", "legend-title", T.legend);
    // On a phone the legend folds to its title: the map is small enough already.
    title.onclick = function () { box.classList.toggle("open"); };
    var div = el("div", "legend-body");
    box.appendChild(title); box.appendChild(div);
    L.DomEvent.disableClickPropagation(box);
    div.appendChild(el("strong", null, T.legend_kind));
    Object.keys(C.kinds).forEach(function (k) {
      var row = el("div"), dot = el("i"); dot.style.background = KIND_COLOURS[k] || "#555";
      row.appendChild(dot); row.appendChild(document.createTextNode(C.kinds[k])); div.appendChild(row);
    });
    div.appendChild(el("strong", null, T.legend_status));
    var open = el("div"), o = el("i"); o.style.background = "#555"; open.appendChild(o);
    open.appendChild(document.createTextNode(T.open)); div.appendChild(open);
    var closed = el("div"), c = el("i"); c.style.background = "#555"; c.style.opacity = 0.3; closed.appendChild(c);
    closed.appendChild(document.createTextNode(T.closed)); div.appendChild(closed);
    [["urgent", T.cluster_urgent], ["open", T.cluster_open], ["closed", T.cluster_closed]].forEach(function (c) {
      var row = el("div"), dot = el("i", "swatch-" + c[0]);
      row.appendChild(dot); row.appendChild(document.createTextNode(c[1])); div.appendChild(row);
    });
    return box;
  };
  legend.addTo(map);

  /* --- the side panel ---------------------------------------------------------------- */
  function photoUrls(p) {
    return {
      thumb: p.thumbnail_url || p.thumbnail || p.image_url || p.image || p.url,
      full: p.image_url || p.image || p.url || p.thumbnail_url || p.thumbnail,
    };
  }

  function reportLatLng(r) {
    var loc = r.location || r.geometry;
    var c = loc && loc.coordinates ? loc.coordinates : (r.lon != null ? [r.lon, r.lat] : null);
    return c ? L.latLng(c[1], c[0]) : null;
  }

  function openReport(id, opts) {
    current = id;
    panel.hidden = false;
    map.invalidateSize();
    return getJSON(mapEl.getAttribute("data-api") + id + "/").then(function (r) {
      renderPanel(r);
      var at = opts && opts.centre && reportLatLng(r);
      if (at) map.setView(at, Math.max(map.getZoom(), C.reportPointsMinZoom + 2));
      // On a phone the panel sits under the map: bring it into view.
      if (window.matchMedia("(max-width: 48rem)").matches) panel.scrollIntoView({ block: "start" });
    })
      .catch(function () { panel.innerHTML = ""; panel.appendChild(el("p", "error", T.load_failed)); });
  }

  function renderPanel(r) {
    panel.innerHTML = "";
    panel.setAttribute("data-report", r.id);
    panel.setAttribute("data-status", r.status);
    var close = el("button", "close", "×"); close.type = "button"; close.title = T.close;
    close.setAttribute("aria-label", T.close);
    close.onclick = function () { panel.hidden = true; current = null; map.invalidateSize(); };
    panel.appendChild(close);
    var h = el("h2", null, (r.kind_label || r.kind) + " #" + r.id + " ");
    h.appendChild(el("span", "badge s-" + r.status, r.status_label || r.status));
    if (r.in_zone) { h.appendChild(document.createTextNode(" ")); h.appendChild(el("span", "badge zone", T.in_zone)); }
    panel.appendChild(h);

    var dl = el("dl", "facts");
    function fact(label, value) { if (value === "" || value == null) return; dl.appendChild(el("dt", null, label)); dl.appendChild(el("dd", null, value)); }
    fact(T.submitted, when(r.submitted_at));
    fact(T.reporter, name(r.reporter_name || r.reporter));
    // Villagers who saw it too and added theirs instead of a second report (nearby.js).
    if (r.sighting_count) fact(T.sightings_label, fmt(T.sightings, { n: r.sighting_count }));
    var detail = [r.behaviour_label, r.construction_kind_label, r.damage_kind_label,
      r.tree_count ? fmt(T.trees, { n: r.tree_count }) : "",
      r.tree_distance_m != null && r.kind === "tree" ? fmt(T.tree_distance, { m: r.tree_distance_m }) : ""].filter(Boolean).join(" · ");
    fact("", detail);
    var loc = r.location || r.geometry;
    var coords = loc && loc.coordinates ? loc.coordinates : (r.lon != null ? [r.lon, r.lat] : null);
    if (coords) fact(T.location, coords[1].toFixed(6) + ", " + coords[0].toFixed(6) +
      (r.accuracy_m != null ? " " + fmt(T.accuracy, { m: Math.round(r.accuracy_m), source: C.locationSources[r.location_source] || r.location_source || "" }) : ""));
    if (r.distance_m != null) fact(T.distance, fmt(T.distance_m, { m: Math.round(r.distance_m * 10) / 10 }) + " · " + (r.in_zone ? T.in_zone : T.out_zone));
    if (r.segment) fact(T.segment, typeof r.segment === "object" ? [r.segment.line_name || r.segment.line, r.segment.code].filter(Boolean).join(" ") : r.segment);
    if (r.district) fact(T.district, typeof r.district === "object" ? r.district.name : (r.district_name || r.district));
    if (r.transformer_area) fact(T.transformer_area, typeof r.transformer_area === "object" ? r.transformer_area.name : (r.transformer_area_name || r.transformer_area));
    fact(T.village, r.village_name);
    fact(T.note, r.note);
    panel.appendChild(dl);
    // The actions come first: they are what staff open a report for.
    renderActions(r);

    if ((r.responsibles && r.responsibles.length) || r.district_manager) {
      panel.appendChild(el("h3", null, T.responsibles));
      var ul = el("ul");
      if (r.district_manager) {
        ul.appendChild(el("li", null, [T.grid_manager, r.district_manager.name, r.district_manager.phone].filter(Boolean).join(" · ")));
      }
      (r.responsibles || []).forEach(function (p) {
        ul.appendChild(el("li", null, [C.scopes[p.scope] || p.scope, p.name, p.phone].filter(Boolean).join(" · ")));
      });
      panel.appendChild(ul);
    }
    if (r.photos && r.photos.length) {
      panel.appendChild(el("h3", null, T.photos));
      var g = el("div", "gallery");
      r.photos.forEach(function (p) {
        var u = photoUrls(p), a = el("a"); a.href = u.full; a.target = "_blank"; a.rel = "noopener";
        var img = el("img"); img.src = u.thumb; img.alt = p.stage_label || p.stage || ""; img.title = p.stage_label || "";
        a.appendChild(img); g.appendChild(a);
      });
      panel.appendChild(g);
    }
    if (r.merge_candidates && r.merge_candidates.length) {
      panel.appendChild(el("h3", null, T.merge_candidates));
      var mc = el("ul");
      r.merge_candidates.forEach(function (m) {
        var li = el("li"), a = el("a", null, "#" + (m.id || m) + " " + (m.status_label || "") + (m.distance_m != null ? " · " + Math.round(m.distance_m) + " m" : ""));
        a.href = "#"; a.onclick = function (e) { e.preventDefault(); openReport(m.id || m); };
        li.appendChild(a); mc.appendChild(li);
      });
      panel.appendChild(mc);
    }
    if (r.events && r.events.length) {
      panel.appendChild(el("h3", null, T.history));
      var ol = el("ol", "history");
      r.events.forEach(function (e) {
        var li = el("li");
        var from = C.statuses[e.from_status] || e.from_status, to = e.to_status_label || C.statuses[e.to_status] || e.to_status;
        li.appendChild(el("strong", null, (from ? from + " → " : "") + to));
        li.appendChild(el("span", "meta", " " + when(e.at) + " " + fmt(T.by, { name: name(e.actor_name || e.actor) })));
        if (e.note) li.appendChild(el("div", null, e.note));
        // In words, from the API (cleared by, evidence): never the raw data.
        if (e.details && e.details.length) li.appendChild(el("div", "meta", e.details.join(" · ")));
        ol.appendChild(li);
      });
      panel.appendChild(ol);
    }
  }

  /* Which inputs each action asks for; the API checks the rules again. */
  function fieldsFor(action, r) {
    var f = [["note", action === "permit" ? T.safety : T.note, "textarea"]];
    if (action === "reject") f.unshift(["reason", T.reason, "text"]);
    if (action === "clear") {
      f.unshift(["cleared_by", T.cleared_by, "cleared_by"]);
      if (r.kind === "tree") f.unshift(["trees_removed", T.trees_removed, "number"]);
      f.push(["photos", T.after_photo, "file"]);
    }
    if (action === "verify") {
      f.push(["photos", T.evidence, "file"]);
      f.push(["witness", T.witness, "text"]);
    }
    if (action === "merge") f.unshift(["merge_into", T.merge_into, "merge"]);
    return f;
  }

  function renderActions(r) {
    panel.appendChild(el("h3", null, T.actions));
    // "Merge" needs a report to merge into: offered only when the API suggests one.
    var actions = (r.allowed_actions || []).filter(function (a) {
      return a !== "merge" || (r.merge_candidates && r.merge_candidates.length);
    });
    // Why the others are not offered, in the workflow's words (four eyes, role).
    var why = r.unavailable_actions || {};
    Object.keys(why).forEach(function (a) {
      var p = el("p", "hint why-not", (C.actions[a] || a) + ": " + why[a]);
      p.setAttribute("data-action", a);
      panel.appendChild(p);
    });
    if (!actions.length) { panel.appendChild(el("p", "hint", T.no_actions)); return; }
    var bar = el("div", "actions"), formBox = el("div");
    actions.forEach(function (action) {
      var b = el("button", "btn2" + (action === "reject" ? " danger" : ""), C.actions[action] || action);
      b.type = "button"; b.setAttribute("data-action", action);
      b.onclick = function () {
        formBox.innerHTML = "";
        var form = actionForm(action, r);
        formBox.appendChild(form);
        form.scrollIntoView({ block: "nearest" });
        var first = form.querySelector("input, select, textarea");
        if (first) first.focus();
      };
      bar.appendChild(b);
    });
    panel.appendChild(bar); panel.appendChild(formBox);
  }

  function actionForm(action, r) {
    var form = el("form", "action-form"); form.setAttribute("data-action", action);
    form.appendChild(el("strong", null, C.actions[action] || action));
    fieldsFor(action, r).forEach(function (spec) {
      var id = "act-" + spec[0];
      var label = el("label", null, spec[1]); label.htmlFor = id;
      form.appendChild(label);
      var input;
      if (spec[2] === "textarea") { input = el("textarea"); input.rows = 2; input.maxLength = C.limits.note; }
      else if (spec[2] === "cleared_by") {
        // No default: staff choose who cleared it (the API refuses an empty choice too).
        input = el("select"); input.required = true;
        var none = el("option", null, T.choose); none.value = ""; input.appendChild(none);
        Object.keys(C.clearedBy).forEach(function (k) {
          var opt = el("option", null, C.clearedBy[k]); opt.value = k; input.appendChild(opt);
        });
      } else if (spec[2] === "merge") {
        input = el("select");
        (r.merge_candidates || []).forEach(function (m) {
          var opt = el("option", null, "#" + (m.id || m)); opt.value = m.id || m; input.appendChild(opt);
        });
      } else {
        input = el("input"); input.type = spec[2];
        if (spec[2] === "number") {
          var bounds = C.limits[spec[0]] || [0, null];  // from the model, via the page config
          input.min = bounds[0]; if (bounds[1] !== null) input.max = bounds[1];
          input.step = 1; input.inputMode = "numeric";
        }
        if (spec[2] === "file") { input.accept = "image/jpeg,image/png,image/webp"; input.multiple = true; }
        if (spec[0] === "reason") {
          input.required = true; input.placeholder = T.reason_hint; input.maxLength = C.limits.note;
        }
      }
      input.name = spec[0]; input.id = id;
      form.appendChild(input);
    });
    if (action === "verify") {
      // The phone's position goes with the evidence photo: the API measures it against
      // the hazard (the station's distance, patrols.workflow.evidence_rule).
      // The inputs exist only once there is a fix: an empty number is not "no position".
      form.appendChild(el("p", "hint", T.on_site_hint));
      if (navigator.geolocation) {
        navigator.geolocation.getCurrentPosition(function (pos) {
          [["lon", pos.coords.longitude], ["lat", pos.coords.latitude]].forEach(function (kv) {
            var h = form.elements[kv[0]] || el("input");
            h.type = "hidden"; h.name = kv[0]; h.value = kv[1]; form.appendChild(h);
          });
        }, function () {}, { enableHighAccuracy: true, timeout: 15000 });
      }
    }
    var err = el("p", "error"); err.setAttribute("role", "alert"); err.hidden = true;
    var send = el("button", "primary", T.send); send.type = "submit";
    form.appendChild(err); form.appendChild(send);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var fd = new FormData(form);
      fd.append("action", action);
      // Array.from: slice() of an iterator is an empty array, which sent empty fields.
      Array.from(fd.keys()).forEach(function (k) {
        if (fd.get(k) === "" || (fd.get(k) instanceof File && !fd.get(k).size)) fd.delete(k);
      });
      send.disabled = true; err.hidden = true;
      fetch(mapEl.getAttribute("data-api") + r.id + "/actions/", {
        method: "POST", body: fd, credentials: "same-origin",
        headers: { "X-CSRFToken": HouhuOutbox.csrf(), Accept: "application/json" },
      }).then(function (res) {
        return res.json().catch(function () { return null; }).then(function (data) {
          if (!res.ok) throw new Error(HouhuOutbox.errorText(data) || String(res.status));
          renderPanel(data && data.id ? data : r);
          if (!(data && data.id)) openReport(r.id);
          redrawReports(); loadCounts(); notices.reload(); queue.reload();
        });
      }).catch(function (e) {
        err.hidden = false; err.textContent = e.message; send.disabled = false;
      });
    });
    return form;
  }

  // For people and tests driving the page from the console.
  window.patrolsWorkspace = { map: map, reports: reports, openReport: openReport, search: loadSearch };
  filters.addEventListener("change", function () { loadReports(); loadCounts(); loadSearch(); });
  filters.addEventListener("submit", function (ev) { ev.preventDefault(); });
  // "#report=<id>" opens that report: links from notifications and from colleagues.
  function openFromHash() {
    var m = /report=(\d+)/.exec(location.hash);
    if (m) openReport(+m[1]);
  }
  window.addEventListener("hashchange", openFromHash);
  results.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a.search-open");
    if (!a) return;
    ev.preventDefault();
    openReport(+a.getAttribute("data-report"), { centre: true });
  });
  var noticeButton = document.getElementById("ws-notices");
  var notices = HouhuNotices.mount(noticeButton, document.getElementById("ws-notices-list"), {
    api: noticeButton.getAttribute("data-api"), label: T.notices, empty: T.no_notices,
    open: function (id) { document.getElementById("ws-notices-list").hidden = true; openReport(id); },
  });
  var queueEl = document.getElementById("ws-queue");
  var queue = HouhuQueue.mount(queueEl, {
    api: queueEl.getAttribute("data-api"), T: T,
    open: function (id) {
      // Centre the map on it too: the queue is read beside the map.
      openReport(id, { centre: true });
    },
  });
  openFromHash();
  loadCounts();
})();
