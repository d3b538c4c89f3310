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
  var ramp = cfg.higherIsBetter ? GOOD : BAD;

  function breaks(values) {
    if (cfg.isRate) { return [0.2, 0.4, 0.6, 0.8]; }
    if (cfg.measure === "score") { return [20, 40, 60, 80]; }
    var max = Math.max.apply(null, values.concat([1]));
    return [0.2, 0.4, 0.6, 0.8].map(function (f) { return Math.round(max * f * 10) / 10; });
  }
  function fmt(v) {
    if (v === null || v === undefined) { return L10N.noData; }
    return cfg.isRate ? (Math.round(v * 1000) / 10) + "%" : (Math.round(v * 10) / 10).toString();
  }
  function classOf(v, br) {
    for (var i = 0; i < br.length; i++) { if (v < br[i]) { return i; } }
    return br.length;
  }

  function url(level, parentLevel, parentId) {
    var q = new URLSearchParams({ level: level, measure: cfg.measure, month: cfg.month,
                                  parent_level: parentLevel, parent_id: parentId });
    return cfg.choroplethUrl + "?" + q.toString();
  }

  function drill(level, id) {
    var q = new URLSearchParams({ level: level, id: id, month: cfg.month, measure: cfg.measure });
    window.location.href = cfg.dashboardUrl + "?" + q.toString();
  }

  function layerFor(fc, level, br, weight) {
    return L.geoJSON(fc, {
      renderer: renderer,
      style: function (f) {
        var v = f.properties.value;
        return { color: "#333", weight: weight, fillOpacity: 0.75,
                 fillColor: v === null ? "#d9d9d9" : ramp[classOf(v, br)] };
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        var figure = cfg.measureLabel + ": " + fmt(p.value);
        if (p.enough_data === false && cfg.measure === "score") { figure += " (" + L10N.notEnough + ")"; }
        // Names are typed by people: text nodes only (houhu-dom.js).
        HouhuDom.tooltip(lyr, HouhuDom.el("span", null, [HouhuDom.el("b", { text: p.name }), HouhuDom.el("br"), figure]), { sticky: true });
        lyr.on("click", function () { drill(level, p.id); });
      },
    });
  }

  var legend = L.control({ position: "bottomright" });
  function showLegend(br) {
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "houhu-legend stats-legend");
      var E = HouhuDom.el, items = [];
      var edges = [null].concat(br);
      for (var i = 0; i < ramp.length; i++) {
        var lo = edges[i], hi = br[i];
        var label = lo === null ? "< " + fmt(hi) : (hi === undefined ? "≥ " + fmt(lo) : fmt(lo) + " – " + fmt(hi));
        var swatch = E("span", { className: "swatch" });
        swatch.style.background = ramp[i];
        items.push(E("li", null, [swatch, label]));
      }
      var none = E("span", { className: "swatch" });
      none.style.background = "#d9d9d9";
      items.push(E("li", null, [none, L10N.noData]));
      div.appendChild(E("strong", { text: cfg.measureLabel }));
      div.appendChild(E("ul", null, items));
      return div;
    };
    legend.addTo(map);
  }

  var taLayer = null, taLoaded = false;
  var TA_ZOOM = 13;
  function loadTransformerAreas(br) {
    if (taLoaded) { return; }
    taLoaded = true;
    fetch(url("transformer_area", cfg.level, cfg.scopeId), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) { taLayer = layerFor(fc, "transformer_area", br, 1); if (map.getZoom() >= TA_ZOOM) { taLayer.addTo(map); } });
  }

  fetch(url(cfg.mapLevel, cfg.level, cfg.scopeId), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (fc) {
      var values = fc.features.map(function (f) { return f.properties.value; }).filter(function (v) { return v !== null; });
      var br = breaks(values);
      var layer = layerFor(fc, cfg.mapLevel, br, 2).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      showLegend(br);
      if (cfg.mapLevel === "district") {
        // Transformer areas on zoom: fetched once, drawn over the grids from TA_ZOOM on.
        map.on("zoomend", function () {
          if (map.getZoom() >= TA_ZOOM) {
            loadTransformerAreas(br);
            if (taLayer && !map.hasLayer(taLayer)) { taLayer.addTo(map); }
          } else if (taLayer && map.hasLayer(taLayer)) {
            map.removeLayer(taLayer);
          }
        });
      }
      mapEl.dataset.features = String(fc.features.length);
      mapEl.dataset.ready = "1";
    })
    .catch(function () {
      mapEl.dataset.ready = "error";
      mapEl.appendChild(HouhuDom.el("p", { className: "map-error", text: L10N.failed }));
    });
})();
