/*
 * houhu-tiles.js — the vector tile layers (/tiles/<layer>/{z}/{x}/{y}.pbf, houhu/grid/tiles.py)
 * drawn with Leaflet.VectorGrid (vendored: static/vendor/leaflet.vectorgrid-1.3.0/).
 *
 * Needs Leaflet, then the VectorGrid bundle, then this file:
 *   var hh = HouhuTiles.layer("households", { style: HouhuTiles.STYLES.households });
 *   hh.addTo(map);  hh.setQuery("kind=tree");  hh.summary()  // {points, cells, total}
 *
 * At low zooms a tile holds cells (attribute `n`: how many rows, counted by PostGIS), at
 * high zooms the rows themselves (attribute `id`): each style below draws both. The tiles
 * hold no names the user may not read (the server leaves them out); popups build DOM text
 * through houhu-dom.js. The layer fires Leaflet's "load" when every visible tile is drawn;
 * the map element then gets data-tiles-<layer>='{"points":…,"cells":…,"total":…}'.
 */
(function () {
  "use strict";

  // Leaflet 1.9 dropped L.DomEvent.fakeStop; VectorGrid's canvas renderer calls it when a
  // feature is clicked. Leaflet 1.7's definition: mark the event as handled.
  if (window.L && L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) { e._stopped = true; };
  }

  var ROOT = "/tiles/";
  var seq = 0;

  function featureId(f) {
    var p = f.properties || {};
    // A row's id is the feature's (households) or an attribute (reports: the click needs
    // it); cells have none: any unique key will do.
    var id = f.id !== undefined && f.id !== null ? f.id : p.id;
    return id !== undefined && id !== null ? id : "cell-" + (++seq);
  }

  // Cells grow with the log of their count: 1 -> 4 px, 10 -> ~8 px, 10,000 -> ~20 px.
  function cellRadius(n) { return Math.min(22, 4 + 1.7 * Math.log(Math.max(n, 1)) / Math.LN2 / 1.2); }

  function share(part, whole) { return whole ? part / whole : 0; }
  // Red (none) -> amber -> green (all): pledge coverage of a cell or a segment.
  function rateColour(r) { return r >= 0.8 ? "#2e7d32" : r >= 0.5 ? "#f9a825" : r > 0 ? "#ef6c00" : "#c62828"; }

  var STYLES = {
    households: function (p) {
      if (p.n !== undefined) {
        return { radius: cellRadius(p.n), fill: true, fillColor: p.aquaculture * 2 > p.n ? "#0aa3a3" : "#1f6fb2",
          fillOpacity: 0.6, color: "#fff", weight: 1 };
      }
      return { radius: 4, fill: true, fillColor: p.is_aquaculture ? "#0aa3a3" : "#1f6fb2", fillOpacity: 0.95,
        color: "#fff", weight: 1 };
    },
    coverage: function (p) {
      if (p.n !== undefined) {
        return { radius: cellRadius(p.n), fill: true, fillColor: rateColour(share(p.signed, p.n)),
          fillOpacity: 0.7, color: "#fff", weight: 1 };
      }
      return { color: p.responsible ? "#2e7d32" : "#c62828", weight: 5, opacity: 0.85,
        dashArray: p.in_patch ? null : "6 4" };
    },
    segments: function () { return { color: "#d4480b", weight: 3, opacity: 0.9 }; },
  };

  function url(name, query) {
    return ROOT + name + "/{z}/{x}/{y}.pbf" + (query ? "?" + query : "");
  }

  function layer(name, options) {
    options = options || {};
    if (!L.vectorGrid) throw new Error("HouhuTiles needs Leaflet.VectorGrid (vendor/leaflet.vectorgrid-1.3.0)");
    var styles = {};
    styles[name] = options.style || STYLES[name];
    var query = options.query || "";
    var opts = {
      // Canvas tiles take every click over the whole tile (VectorGrid gives them pointer
      // events); SVG tiles only on their shapes: `svg: true` for a layer above others.
      rendererFactory: options.svg ? L.svg.tile : L.canvas.tile,
      vectorTileLayerStyles: styles,
      interactive: true,
      getFeatureId: featureId,
      fetchOptions: { credentials: "same-origin" },
      maxNativeZoom: 20,
    };
    ["minZoom", "maxZoom", "pane", "zIndex"].forEach(function (k) {
      if (options[k] !== undefined) opts[k] = options[k];
    });
    var vg = L.vectorGrid.protobuf(url(name, query), opts);
    // A tile's point is placed in tile pixels and has no latitude/longitude; Leaflet 1.9
    // takes any small circle with getLatLng for a marker and reads its position on a
    // click, which then throws. Without getLatLng the click's own position is used.
    var createLayer = vg._createLayer;
    vg._createLayer = function (feat, pxPerExtent) {
      var symbol = createLayer.call(this, feat, pxPerExtent);
      if (symbol && symbol.getLatLng) symbol.getLatLng = null;
      // The feature's id (a row's, see houhu/lib/mvt.py) for a click on it.
      if (symbol) symbol.featureId = feat.id;
      return symbol;
    };

    vg.setQuery = function (q) {
      query = q || "";
      vg.setUrl(url(name, query));
    };
    // What the visible tiles hold: rows (deduplicated: a row near a tile's edge is in the
    // neighbour's buffer too) and cells with their counts.
    vg.summary = function () {
      var ids = {}, points = 0, cells = 0, total = 0;
      Object.keys(vg._tiles || {}).forEach(function (key) {
        var tile = vg._vectorTiles && vg._vectorTiles[key];
        if (!tile || !tile._features) return;
        Object.keys(tile._features).forEach(function (id) {
          var p = tile._features[id].feature.properties || {};
          if (p.n !== undefined) { cells++; total += p.n; }
          else if (!ids[id]) { ids[id] = 1; points++; total++; }
        });
      });
      return { points: points, cells: cells, total: total };
    };
    vg.on("load", function () {
      var map = vg._map;
      if (!map) return;
      map.getContainer().setAttribute("data-tiles-" + name, JSON.stringify(vg.summary()));
    });
    if (options.popup) {
      vg.on("click", function (e) {
        var props = e.layer.properties || {};
        if (vg._map) window.HouhuDom.popupAt(vg._map, e.latlng, function () { return options.popup(props, e); });
      });
    }
    return vg;
  }

  window.HouhuTiles = { layer: layer, STYLES: STYLES, cellRadius: cellRadius };
})();
