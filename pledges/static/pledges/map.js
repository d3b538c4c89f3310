/* Shared glue for the compact's map pages, on django-leaflet's local Leaflet.
   Hand-written because it is a few lines: a canvas map with the configured basemap (none
   by default: vector layers on a plain background), and a JSON fetch with the session. */
(function () {
  "use strict";

  function config(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function makeMap(el, opts) {
    opts = opts || {};
    // Canvas: thousands of segments and households stay smooth on a cheap laptop.
    var map = L.map(el, { preferCanvas: true, renderer: L.canvas({ tolerance: 6 }) });
    (opts.tiles || []).forEach(function (t) {
      L.tileLayer(t[1], t[2] || {}).addTo(map);
    });
    map.setView(opts.center || [30.45, 112.8], opts.zoom || 12);
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(url + " → " + r.status); }
        return r.json();
      });
  }

  function fitTo(map, layer) {
    var b = layer.getBounds && layer.getBounds();
    if (b && b.isValid()) { map.fitBounds(b, { padding: [20, 20], maxZoom: 17 }); }
  }

  function csrfToken() {
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  window.HouhuPledges = { config: config, makeMap: makeMap, getJSON: getJSON, fitTo: fitTo,
                          csrfToken: csrfToken };
})();
