/* The villager's own map, readable with no basemap: their grid's outline, the villages'
 * names, the houses nearby as dots, the lines with their names, their home, and where
 * they stand now (the phone's position). Data: /api/layers/around-me/
 * (houhu.grid.surroundings). Loaded with Leaflet, only when a map is opened.
 *
 *   HouhuVillagerMap.tiles(map, tiles)            the configured basemap, if any
 *   HouhuVillagerMap.draw(map, {url, labels: {home}}) -> Promise of the home marker
 *   HouhuVillagerMap.locate(map, {here})          follow the phone's position
 * Text goes to Leaflet through HouhuDom.tooltip (never as HTML). */
(function () {
  "use strict";
  var STYLE = {
    district: { color: "#0b6e4f", weight: 2, dashArray: "6 4", fill: false, interactive: false },
    area: { color: "#7b3fa0", weight: 1, fillColor: "#7b3fa0", fillOpacity: 0.06, interactive: false },
    line: { color: "#1d2630", weight: 4 },
    water: { color: "#1f6fb2", weight: 2, fillColor: "#9ec9f0", fillOpacity: 0.6 },
    road: { color: "#a1887f", weight: 5 },
  };

  /* Basemap tiles (HOUHU_BASEMAP): fetched with CORS so that the service worker may keep
   * them in its bounded tile cache for use without signal. */
  function tiles(map, list) {
    (list || []).forEach(function (t) {
      var opts = Object.assign({ crossOrigin: "anonymous" }, t[2] || {});
      L.tileLayer(t[1], opts).addTo(map);
    });
    map.getContainer().classList.toggle("houhu-map--plain", !(list && list.length));
  }

  function label(layer, text, cls) {
    HouhuDom.tooltip(layer, text, { permanent: true, direction: "center", className: "vm-label " + (cls || "") });
  }

  function draw(map, o) {
    var L_ = o.labels || {};
    return fetch(o.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (fc) {
        var home = null, counts = {};
        L.geoJSON(fc, {
          style: function (f) { return STYLE[f.properties.layer] || STYLE.line; },
          pointToLayer: function (f, latlng) {
            var kind = f.properties.layer;
            if (kind === "household") return L.circleMarker(latlng, { radius: 4, color: "#5b6773", weight: 1, fillColor: "#cfd6dc", fillOpacity: 1, interactive: false });
            if (kind === "home") return L.circleMarker(latlng, { radius: 10, color: "#fff", weight: 3, fillColor: "#e65100", fillOpacity: 1 });
            return L.circleMarker(latlng, { radius: 1, opacity: 0, fillOpacity: 0 }); // a village: its name only
          },
          onEachFeature: function (f, layer) {
            var kind = f.properties.layer;
            counts[kind] = (counts[kind] || 0) + 1;
            if (kind === "village" && f.properties.name) label(layer, f.properties.name, "vm-village");
            if (kind === "line" && f.properties.name) HouhuDom.tooltip(layer, f.properties.name, { permanent: true, className: "vm-label vm-line", sticky: false });
            if (kind === "home") { home = layer; label(layer, L_.home || "⌂", "vm-home"); }
          },
        }).addTo(map);
        Object.keys(counts).forEach(function (k) { map.getContainer().setAttribute("data-" + k, counts[k]); });
        return home;
      });
  }

  /* "Where am I": the phone's position as a blue dot with its accuracy, followed. */
  function locate(map, labels) {
    if (!navigator.geolocation) return;
    var dot = null, ring = null;
    navigator.geolocation.watchPosition(function (pos) {
      var at = [pos.coords.latitude, pos.coords.longitude];
      if (!dot) {
        ring = L.circle(at, { radius: pos.coords.accuracy, color: "#1f6fb2", weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
        dot = L.circleMarker(at, { radius: 8, color: "#fff", weight: 3, fillColor: "#1f6fb2", fillOpacity: 1 }).addTo(map);
        label(dot, (labels && labels.here) || "•", "vm-here");
        map.getContainer().setAttribute("data-here", "1");
      } else { dot.setLatLng(at); ring.setLatLng(at).setRadius(pos.coords.accuracy); }
    }, function () { /* no permission or no fix: the map still shows home and the lines */ },
    { enableHighAccuracy: true, maximumAge: 30000 });
  }

  window.HouhuVillagerMap = { draw: draw, tiles: tiles, locate: locate };
})();
