/*
 * The leadership dashboard: trend charts (Chart.js, served locally) and the choropleth map
 * (Leaflet from django-leaflet's static files, canvas renderer, no tiles needed).
 * Every visible string comes from the page's #stats-config JSON (translated by Django).
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("stats-config").textContent);
  var trend = JSON.parse(document.getElementById("stats-trend").textContent);
  var L10N = cfg.labels;
  var PALETTE = ["#0b6e4f", "#d4480b", "#1f6fb2", "#7b3fa0", "#b8860b", "#555555"];

  // Big type for projectors; Chart.js scales with its container on phones.
  if (window.Chart) {
    Chart.defaults.font.size = 14;
    Chart.defaults.maintainAspectRatio = false;
  }

  function pct(list) {
    return list.map(function (v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; });
  }

  function lineChart(id, datasets, yMax) {
    var el = document.getElementById(id);
    if (!el || !window.Chart) { return; }
    new Chart(el, {
      type: "line",
      data: {
        labels: trend.labels,
        datasets: datasets.map(function (d, i) {
          return { label: d.label, data: d.data, borderColor: PALETTE[i], backgroundColor: PALETTE[i],
                   spanGaps: true, tension: 0.2, borderWidth: 3, pointRadius: 3 };
        }),
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, suggestedMax: yMax } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  lineChart("chart-rates", [
    { label: L10N.score, data: trend.score },
    { label: L10N.pledge + " %", data: pct(trend.pledge_rate) },
    { label: L10N.responsibility + " %", data: pct(trend.responsibility_rate) },
    { label: L10N.patrol + " %", data: pct(trend.patrol_coverage) },
  ], 100);
  lineChart("chart-hazards", [
    { label: L10N.hazards, data: trend.hazards_reported },
    { label: L10N.open, data: trend.open_hazards },
    { label: L10N.verified, data: trend.verified },
    { label: L10N.trees, data: trend.trees_removed },
    { label: L10N.stops, data: trend.construction_stopped },
  ]);

  // --- Choropleth -----------------------------------------------------------------------
  // The measure is page state: choosing another one fetches that measure's figures (once
  // per measure and level, then from memory) and redraws the map, the legend and the
  // links' ?measure= without reloading the page (the form still submits without script).
  var mapEl = document.getElementById("stats-map");
  if (!mapEl || !window.L || !cfg.mapLevel) { return; }
  var baseCfgEl = document.getElementById("houhu-map-config");
  var base = baseCfgEl ? JSON.parse(baseCfgEl.textContent) : { tiles: [], center: [30.45, 112.8], zoom: 11 };
  var map = L.map(mapEl, { preferCanvas: true, zoomSnap: 0.5 }).setView(base.center, base.zoom);
  (base.tiles || []).slice(0, 1).forEach(function (t) { L.tileLayer(t[1], t[2]).addTo(map); });
  var renderer = L.canvas({ padding: 0.5 });
  // Five classes, light to dark in the "good" direction (green) or "bad" direction (red).
  var GOOD = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"];
  var BAD = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  var TA_ZOOM = 13;
  var measure = cfg.measure;
  var cache = {}; // "measure|level" -> FeatureCollection promise
  var gridLayer = null, taLayer = null, fitted = false;

  function meta() { return cfg.measures[measure] || { label: cfg.measureLabel, isRate: cfg.isRate, higherIsBetter: cfg.higherIsBetter }; }
  function ramp() { return meta().higherIsBetter ? GOOD : BAD; }
  function breaks(values) {
    if (meta().isRate) { return [0.2, 0.4, 0.6, 0.8]; }
    if (measure === "score") { return [20, 40, 60, 80]; }
    var max = Math.max.apply(null, values.concat([1]));
    return [0.2, 0.4, 0.6, 0.8].map(function (f) { return Math.round(max * f * 10) / 10; });
  }
  function fmt(v) {
    if (v === null || v === undefined) { return L10N.noData; }
    return meta().isRate ? (Math.round(v * 1000) / 10) + "%" : (Math.round(v * 10) / 10).toString();
  }
  function classOf(v, br) {
    for (var i = 0; i < br.length; i++) { if (v < br[i]) { return i; } }
    return br.length;
  }

  function fetchLayer(level, parentLevel, parentId) {
    var key = measure + "|" + level;
    if (!cache[key]) {
      var q = new URLSearchParams({ level: level, measure: measure, month: cfg.month,
                                    parent_level: parentLevel, parent_id: parentId });
      cache[key] = fetch(cfg.choroplethUrl + "?" + q.toString(), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
      cache[key].catch(function () { delete cache[key]; });
    }
    return cache[key];
  }

  function drill(level, id) {
    var q = new URLSearchParams({ level: level, id: id, month: cfg.month, measure: measure });
    window.location.href = cfg.dashboardUrl + "?" + q.toString();
  }

  function layerFor(fc, level, br, weight) {
    var colours = ramp(), label = meta().label;
    return L.geoJSON(fc, {
      renderer: renderer,
      style: function (f) {
        var v = f.properties.value;
        return { color: "#333", weight: weight, fillOpacity: 0.75,
                 fillColor: v === null ? "#d9d9d9" : colours[classOf(v, br)] };
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        var figure = label + ": " + fmt(p.value);
        if (p.enough_data === false && measure === "score") { figure += " (" + L10N.notEnough + ")"; }
        // Names are typed by people: text nodes only (houhu-dom.js).
        HouhuDom.tooltip(lyr, HouhuDom.el("span", null, [HouhuDom.el("b", { text: p.name }), HouhuDom.el("br"), figure]), { sticky: true });
        lyr.on("click", function () { drill(level, p.id); });
      },
    });
  }

  var legend = L.control({ position: "bottomright" });
  function showLegend(br) {
    legend.remove();
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "houhu-legend stats-legend");
      var E = HouhuDom.el, items = [], colours = ramp();
      var edges = [null].concat(br);
      for (var i = 0; i < colours.length; i++) {
        var lo = edges[i], hi = br[i];
        var label = lo === null ? "< " + fmt(hi) : (hi === undefined ? "≥ " + fmt(lo) : fmt(lo) + " – " + fmt(hi));
        var swatch = E("span", { className: "swatch" });
        swatch.style.background = colours[i];
        items.push(E("li", null, [swatch, label]));
      }
      var none = E("span", { className: "swatch" });
      none.style.background = "#d9d9d9";
      items.push(E("li", null, [none, L10N.noData]));
      div.appendChild(E("strong", { text: meta().label }));
      div.appendChild(E("ul", null, items));
      return div;
    };
    legend.addTo(map);
  }

  function drawTransformerAreas(br) {
    if (cfg.mapLevel !== "district" || map.getZoom() < TA_ZOOM) {
      if (taLayer) { map.removeLayer(taLayer); }
      return;
    }
    var drawing = measure;
    fetchLayer("transformer_area", cfg.level, cfg.scopeId).then(function (fc) {
      if (drawing !== measure) { return; }
      if (taLayer) { map.removeLayer(taLayer); }
      taLayer = layerFor(fc, "transformer_area", br, 1).addTo(map);
    });
  }

  var currentBreaks = null;
  function draw() {
    var drawing = measure;
    mapEl.dataset.ready = "0";
    return fetchLayer(cfg.mapLevel, cfg.level, cfg.scopeId).then(function (fc) {
      if (drawing !== measure) { return; } // a later choice won
      var values = fc.features.map(function (f) { return f.properties.value; }).filter(function (v) { return v !== null; });
      currentBreaks = breaks(values);
      if (gridLayer) { map.removeLayer(gridLayer); }
      if (taLayer) { map.removeLayer(taLayer); taLayer = null; }
      gridLayer = layerFor(fc, cfg.mapLevel, currentBreaks, 2).addTo(map);
      if (!fitted && fc.features.length) { map.fitBounds(gridLayer.getBounds(), { padding: [10, 10] }); fitted = true; }
      showLegend(currentBreaks);
      drawTransformerAreas(currentBreaks);
      mapEl.dataset.features = String(fc.features.length);
      mapEl.dataset.measure = measure;
      mapEl.dataset.ready = "1";
    }).catch(function () {
      mapEl.dataset.ready = "error";
      mapEl.appendChild(HouhuDom.el("p", { className: "map-error", text: L10N.failed }));
    });
  }

  // Transformer areas on zoom: fetched once per measure, drawn over the grids from TA_ZOOM on.
  map.on("zoomend", function () { if (currentBreaks) { drawTransformerAreas(currentBreaks); } });

  var select = document.getElementById("measure");
  if (select) {
    select.removeAttribute("data-autosubmit"); // with script, the page redraws in place
    select.addEventListener("change", function () {
      measure = select.value;
      // The address and the drill-down links keep the choice (a reload, a shared link).
      var here = new URL(window.location.href);
      here.searchParams.set("measure", measure);
      window.history.replaceState(null, "", here.toString());
      Array.prototype.forEach.call(document.querySelectorAll("a[href*='measure=']"), function (a) {
        var u = new URL(a.href, window.location.href);
        u.searchParams.set("measure", measure);
        a.href = u.pathname + u.search;
      });
      draw();
    });
  }
  draw();
})();
