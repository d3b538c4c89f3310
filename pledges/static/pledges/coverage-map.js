/* Coverage map: segments coloured by "has an active responsible" or by the signed share of
   the households around them; district outlines underneath. Config comes from the page's
   JSON block (URLs, basemap, translated labels) so no string is hard-coded here. */
(function () {
  "use strict";
  var H = window.HouhuPledges;
  var cfg = H.config("coverage-config");
  var el = document.getElementById("coverage-map");
  if (!cfg || !el) { return; }
  var map = H.makeMap(el, cfg);
  var SHARE_COLOURS = cfg.shareColours;  // [[minShare, colour], ...] from high to low

  function shareColour(share) {
    if (share === null || share === undefined) { return cfg.noHouseholdsColour; }
    for (var i = 0; i < SHARE_COLOURS.length; i++) {
      if (share >= SHARE_COLOURS[i][0]) { return SHARE_COLOURS[i][1]; }
    }
    return SHARE_COLOURS[SHARE_COLOURS.length - 1][1];
  }

  var mode = "responsible";
  function styleFor(f) {
    var p = f.properties || {};
    var colour = mode === "responsible"
      ? (p.responsible ? cfg.responsibleColour : cfg.noneColour)
      : shareColour(p.signed_share);
    return { color: colour, weight: 5, opacity: 0.9 };
  }

  // PostGIS 3.3's ST_AsGeoJSON(record) keeps the id among the properties.
  function featureId(f) { return f.id !== undefined ? f.id : (f.properties || {}).id; }

  function pct(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + "%"; }

  function popup(f) {
    var p = f.properties || {};
    var div = document.createElement("div");
    var rows = [
      [cfg.labels.segment, p.code],
      [cfg.labels.responsible, p.responsible ? (p.responsible_name || "✓") : cfg.labels.nobody],
      [cfg.labels.signed, (p.front_doors_signed || 0) + " / " + (p.front_doors || 0) + " (" + pct(p.signed_share) + ")"]
    ];
    rows.forEach(function (r) {
      var line = document.createElement("div");
      var b = document.createElement("strong");
      b.textContent = r[0] + ": ";
      line.appendChild(b);
      line.appendChild(document.createTextNode(r[1] === undefined ? "" : String(r[1])));
      div.appendChild(line);
    });
    return div;
  }

  if (cfg.districtsUrl) {
    H.getJSON(cfg.districtsUrl).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#5b6773", weight: 1, fill: false, dashArray: "4 4" },
                      interactive: false }).addTo(map);
    }).catch(function () { /* outlines are context only */ });
  }

  var layer = L.geoJSON(null, { style: styleFor, onEachFeature: function (f, l) { HouhuDom.popup(l, function () { return popup(f); }); } }).addTo(map);
  var state = { layer: layer, features: [], ready: false };
  window.pledgesCoverageMap = state;

  function load() {
    el.setAttribute("aria-busy", "true");
    return H.getJSON(cfg.coverageUrl).then(function (fc) {
      layer.clearLayers();
      layer.addData(fc);
      state.features = fc.features || [];
      state.ready = true;
      if (!state.fitted) { H.fitTo(map, layer); state.fitted = true; }
      el.setAttribute("aria-busy", "false");
      el.dataset.loaded = String(Date.now());
    }).catch(function (e) {
      var msg = document.getElementById("coverage-error");
      if (msg) { msg.hidden = false; }
      el.setAttribute("aria-busy", "false");
      throw e;
    });
  }

  document.querySelectorAll("input[name=colour-by]").forEach(function (r) {
    r.addEventListener("change", function () {
      mode = r.value;
      layer.setStyle(styleFor);
      document.querySelectorAll(".legend[data-mode]").forEach(function (lg) {
        lg.hidden = lg.dataset.mode !== mode;
      });
    });
  });
  var reload = document.getElementById("coverage-reload");
  if (reload) { reload.addEventListener("click", load); }
  state.reload = load;
  state.colourOf = function (id) {
    var out = null;
    layer.eachLayer(function (l) { if (l.feature && featureId(l.feature) === id) { out = l.options.color; } });
    return out;
  };
  state.setMode = function (m) { mode = m; layer.setStyle(styleFor); };
  load();
})();
