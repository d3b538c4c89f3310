/* The villager's own patch / segments / front door. Leaflet (~40 KB gzipped) is fetched
   only when the villager taps "show on map": the page itself stays light on weak signal. */
(function () {
  "use strict";
  var btn = document.getElementById("show-my-map");
  var cfgEl = document.getElementById("my-map-config");
  if (!btn || !cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);

  function loadCss(href) {
    var l = document.createElement("link");
    l.rel = "stylesheet"; l.href = href;
    document.head.appendChild(l);
  }
  function loadJs(src) {
    return new Promise(function (ok, fail) {
      var s = document.createElement("script");
      s.src = src; s.onload = ok; s.onerror = fail;
      document.head.appendChild(s);
    });
  }

  function draw() {
    var H = window.HouhuPledges;
    var el = document.getElementById("my-map");
    el.hidden = false;
    // The basemap through HouhuVillagerMap: fetched so the service worker can keep it.
    var map = H.makeMap(el, Object.assign({}, cfg, { tiles: [] }));
    HouhuVillagerMap.tiles(map, cfg.tiles);
    if (cfg.aroundUrl) {
      // Readable without a basemap: the grid, the houses, the lines' names, where I stand.
      HouhuVillagerMap.draw(map, { url: cfg.aroundUrl, labels: cfg.labels }).catch(function () {});
      HouhuVillagerMap.locate(map, cfg.labels);
    }
    var styles = cfg.styles;
    if (cfg.contextUrl) {
      H.getJSON(cfg.contextUrl).then(function (fc) {
        L.geoJSON(fc, { style: styles.context, interactive: false }).addTo(map).bringToBack();
      }).catch(function () { /* context only */ });
    }
    H.getJSON(cfg.dataUrl).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) { return styles[f.properties.scope] || styles.context; },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillOpacity: 1,
                                          fillColor: (styles[f.properties.scope] || styles.context).color });
        },
        onEachFeature: function (f, l) { if (f.properties.label) { HouhuDom.tooltip(l, f.properties.label); } }
      }).addTo(map);
      H.fitTo(map, layer);
      el.dataset.loaded = String((fc.features || []).length);
    }).catch(function () {
      document.getElementById("my-map-error").hidden = false;
    });
  }

  btn.addEventListener("click", function () {
    btn.disabled = true;
    btn.textContent = cfg.labels.loading;
    cfg.css.forEach(loadCss);
    cfg.js.reduce(function (p, src) { return p.then(function () { return loadJs(src); }); }, Promise.resolve())
      .then(function () { btn.remove(); draw(); })
      .catch(function () { btn.disabled = false; btn.textContent = cfg.labels.retry; });
  });
})();
