/*
 * houhu-map.js — the station's shared Leaflet map (vanilla JS, no build step).
 *
 * Needs Leaflet from django-leaflet's static files, loaded before this file:
 *   {% load leaflet_tags %}{% leaflet_css %}{% leaflet_js %}
 *   {% load houhu_tags %}{% houhu_map_config %}   (recommended: basemap tiles + centre from
 *       settings.LEAFLET_CONFIG and every map word translated, as a JSON block; without it
 *       the map has no basemap and English fallback words)
 *   <script src="{% static 'js/houhu-map.js' %}"></script>
 *
 * Usage:
 *   var hm = HouhuMap.create("map", {
 *     layers: ["districts", "transformer-areas", "lines", "segments", "households"],
 *     district: null,             // or a district id: every layer is filtered by ?district=
 *     labels: {...},              // optional overrides of the translated words (keys: LABELS)
 *     popups: {segments: function (props) { return HouhuDom.el("b", {text: props.code}); }},
 *                                 // optional overrides: return a DOM node, never HTML
 *     hidden: ["lines"],          // optional: overlays that start switched off
 *     onFeatureClick: function (layerName, feature, leafletLayer) {}, // optional
 *   });
 *   hm.map            // the L.Map
 *   hm.overlays       // {"districts": L.GeoJSON, ...}
 *   hm.layerControl   // L.Control.Layers (base layers, if tiles exist, + overlays)
 *   hm.legend         // L.Control with colour swatches and per-layer feature counts
 *   hm.counts         // {"districts": 7, "segments": 120, "households": 0, ...}
 *   hm.reload()       // refetch every layer (returns a Promise)
 *   hm.setDistrict(id)  // filter by district (null = all), refetch, fit to it
 *
 * Data: GET /api/layers/<name>/?district=<id>&bbox=minLon,minLat,maxLon,maxLat, each a
 * GeoJSON FeatureCollection already scoped to the logged-in user by the server.
 *
 * For tests and other scripts, once the first load of every layer is done:
 *   window.houhuMapReady = true, element.dataset.ready = "1", and
 *   element.dataset.layerCounts = '{"districts":7,...}' (updated after every reload).
 *   The element also dispatches a "houhu:loaded" event with detail = counts.
 *
 * Works with no tile server (LEAFLET_CONFIG TILES = []): vector layers on a plain
 * background (the .houhu-map CSS class paints it).
 *
 * With houhu-tiles.js (and Leaflet.VectorGrid) loaded first, the households are drawn
 * below HOUSEHOLD_MIN_ZOOM too, as the server's vector tiles of counted cells (PostGIS
 * counts them, whatever the area: a station or a county), so every zoom shows where the
 * households are; `tileOverlays: ["coverage"]` adds tile layers to the layer control
 * (off until switched on). Without houhu-tiles.js households appear from that zoom only.
 */
(function () {
  "use strict";

  var API_ROOT = "/api/layers/";

  // Households are thousands of points per station (13,700 at Houhu): below this zoom the
  // whole station would be fetched and drawn at once, which stalls a phone and is
  // unreadable anyway, so they appear only once the user has zoomed in.
  var HOUSEHOLD_MIN_ZOOM = 13;

  // Layers big enough to be refetched by the visible bbox on every pan/zoom; the others
  // are small (7 grids, 157 transformer areas, tens of lines) and loaded once.
  var BBOX_LAYERS = { segments: true, households: true };

  var LABELS = {
    districts: "Service grids",
    "transformer-areas": "Transformer areas",
    lines: "Lines",
    segments: "Line segments",
    households: "Households",
    legend: "Legend",
    manager: "Grid manager",
    phone: "Posted phone",
    householdCount: "Households",
    transformerAreaCount: "Transformer areas",
    line: "Line",
    seq: "Order",
    length: "Length",
    metres: "m",
    customerNumber: "Customer number",
    headName: "Head of household",
    aquaculture: "Large aquaculture household",
    zoomIn: "zoom in to see",
    loading: "Loading…",
    failed: "Could not load",
    noBasemap: "No basemap",
  };

  var COLOURS = {
    districts: "#0b6e4f",
    "transformer-areas": "#7b3fa0",
    lines: "#555555",
    segments: "#d4480b",
    households: "#1f6fb2",
    aquaculture: "#0aa3a3",
  };
  // One fill per grid so neighbouring grids are told apart without a basemap.
  var DISTRICT_FILLS = ["#8fd3b6", "#f6d88a", "#a9c8f0", "#f3b0a6", "#c9b3e6", "#b7e39b", "#f0c3e0", "#9fe0e0"];
  var VOLTAGE_COLOURS = { 10: "#d4480b", 35: "#b3261e", 110: "#7a1fa2", 220: "#1d3fbf", 500: "#000000" };

  // Every user-written value (names, phones) goes into the page as text: houhu-dom.js.
  var D = window.HouhuDom;

  function row(label, value) {
    if (value === null || value === undefined || value === "") return null;
    return D.el("tr", null, [D.el("th", { text: label }), D.el("td", null, [value])]);
  }

  function table(rows) {
    return D.el("table", { className: "popup-table" }, rows);
  }

  function readConfig() {
    var node = document.getElementById("houhu-map-config");
    if (!node) return {};
    try {
      return JSON.parse(node.textContent) || {};
    } catch (e) {
      return {};
    }
  }

  function defaultPopups(T) {
    return {
      districts: function (p) {
        var phone = p.manager_phone
          ? D.el("a", { className: "tel", href: "tel:" + p.manager_phone, text: p.manager_phone })
          : null;
        return D.el("div", null, [
          D.el("strong", { text: p.name }),
          table([
            row(T.manager, p.manager_name),
            row(T.phone, phone),
            row(T.householdCount, p.household_count),
            row(T.transformerAreaCount, p.transformer_area_count),
          ]),
        ]);
      },
      "transformer-areas": function (p) {
        return D.el("div", null, [
          D.el("strong", { text: p.name }),
          table([row(T.householdCount, p.household_count)]),
        ]);
      },
      lines: function (p) {
        return D.el("div", null, [D.el("strong", { text: p.name }), " " + p.voltage_kv + " kV"]);
      },
      segments: function (p) {
        return D.el("div", null, [
          D.el("strong", { text: p.code }),
          table([
            row(T.line, p.line_name),
            row(T.seq, p.seq),
            row(T.length, p.length_m === null || p.length_m === undefined ? null : p.length_m + " " + T.metres),
          ]),
        ]);
      },
      households: function (p) {
        return table([
          row(T.customerNumber, p.customer_number),
          row(T.headName, p.head_name), // null for leaders: the row is left out
          p.is_aquaculture ? D.el("tr", null, [D.el("td", { colSpan: 2, text: T.aquaculture })]) : null,
        ]);
      },
    };
  }

  function styleFor(name) {
    if (name === "districts") {
      return function (f) {
        var id = (f && f.id) || (f && f.properties && f.properties.id) || 0;
        return {
          color: COLOURS.districts, weight: 2, opacity: 0.9,
          fillColor: DISTRICT_FILLS[id % DISTRICT_FILLS.length], fillOpacity: 0.25,
        };
      };
    }
    if (name === "lines") {
      return function (f) {
        var kv = f && f.properties && f.properties.voltage_kv;
        return { color: VOLTAGE_COLOURS[kv] || COLOURS.lines, weight: 2, opacity: 0.5, dashArray: "6 4" };
      };
    }
    if (name === "segments") {
      return function () {
        return { color: COLOURS.segments, weight: 4, opacity: 0.9 };
      };
    }
    return function () {
      return {};
    };
  }

  function pointStyle(name, feature) {
    if (name === "transformer-areas") {
      return { radius: 6, color: "#fff", weight: 2, fillColor: COLOURS["transformer-areas"], fillOpacity: 1 };
    }
    var aqua = feature.properties && feature.properties.is_aquaculture;
    return {
      radius: 4, color: "#fff", weight: 1,
      fillColor: aqua ? COLOURS.aquaculture : COLOURS.households, fillOpacity: 0.95,
    };
  }

  function create(elementOrId, options) {
    if (!window.L) throw new Error("HouhuMap needs Leaflet: add {% leaflet_js %} before houhu-map.js");
    if (!D) throw new Error("HouhuMap needs houhu-dom.js (base.html loads it)");
    options = options || {};
    var el = typeof elementOrId === "string" ? document.getElementById(elementOrId) : elementOrId;
    var config = L.Util.extend(readConfig(), options.config || {});
    // English fallbacks < the translated words of {% houhu_map_config %} < the page's own.
    var T = L.Util.extend({}, LABELS, config.labels || {}, options.labels || {});
    var popups = L.Util.extend(defaultPopups(T), options.popups || {});
    var names = options.layers || ["districts", "segments", "transformer-areas", "households", "lines"];
    var hidden = options.hidden || [];
    var apiRoot = options.apiRoot || API_ROOT;
    var district = options.district === undefined ? null : options.district;

    el.classList.add("houhu-map");
    el.dataset.ready = "0";
    window.houhuMapReady = false;

    var Tiles = window.HouhuTiles;
    var tileOverlays = Tiles ? options.tileOverlays || [] : [];

    // One canvas for every vector layer: the SVG renderer bogs down past a few thousand
    // features (stack notes), and households alone are thousands.
    var renderer = L.canvas({ padding: 0.5, tolerance: 4 });
    var map = L.map(el, {
      preferCanvas: true,
      renderer: renderer,
      center: config.center || [30.45, 112.8],
      zoom: config.zoom || 11,
      minZoom: config.minZoom || 3,
      maxZoom: config.maxZoom || 19,
      zoomControl: true,
    });

    var baseLayers = {};
    (config.tiles || []).forEach(function (t, i) {
      var layer = L.tileLayer(t[1], L.Util.extend({ maxZoom: config.maxZoom || 19 }, t[2] || {}));
      baseLayers[t[0]] = layer;
      if (i === 0) layer.addTo(map);
    });
    if (!config.tiles || !config.tiles.length) el.classList.add("houhu-map--plain");
    else el.classList.remove("houhu-map--plain");

    var overlays = {};
    var counts = {};
    var states = {}; // per layer: {loaded: bool, error: bool, pending: AbortController|null}

    names.forEach(function (name) {
      var isPoint = name === "households" || name === "transformer-areas";
      var gj = L.geoJSON(null, {
        style: isPoint ? undefined : styleFor(name),
        pointToLayer: isPoint
          ? function (feature, latlng) {
              return L.circleMarker(latlng, L.Util.extend({ renderer: renderer }, pointStyle(name, feature)));
            }
          : undefined,
        onEachFeature: function (feature, layer) {
          var build = popups[name];
          if (build) {
            D.popup(layer, function () {
              return build(feature.properties || {}, feature);
            });
          }
          if (options.onFeatureClick) {
            layer.on("click", function () {
              options.onFeatureClick(name, feature, layer);
            });
          }
        },
      });
      overlays[name] = gj;
      counts[name] = 0;
      states[name] = { loaded: false, error: false, pending: null };
      if (hidden.indexOf(name) === -1) gj.addTo(map);
    });
    // Grids under everything else so clicks reach segments and households.
    if (overlays.districts && map.hasLayer(overlays.districts)) overlays.districts.bringToBack();

    // Zoomed out, the households are counted cells of the vector tiles, switched on and off
    // with the households' own entry of the layer control.
    var overview = null;
    if (Tiles && overlays.households) {
      overview = Tiles.layer("households", {
        maxZoom: HOUSEHOLD_MIN_ZOOM - 1,
        query: tileQuery(),
        popup: function (p) {
          return table([row(T.householdCount, p.n), row(T.aquaculture, p.aquaculture)]);
        },
      });
      if (map.hasLayer(overlays.households)) overview.addTo(map);
      map.on("overlayadd overlayremove", function (e) {
        if (e.layer !== overlays.households) return;
        if (e.type === "overlayadd") overview.addTo(map);
        else map.removeLayer(overview);
      });
      overview.on("load", function () {
        if (map.getZoom() >= HOUSEHOLD_MIN_ZOOM) return;
        counts.households = overview.summary().total;
        overviewLoaded = true;
        publish();
      });
    }
    var overviewLoaded = false;
    var tiled = {};
    tileOverlays.forEach(function (name) { tiled[name] = Tiles.layer(name, { query: tileQuery() }); });

    var overlayLabels = {};
    names.forEach(function (name) {
      // Leaflet's layer control takes only an HTML string: the one escaped use.
      overlayLabels['<span class="swatch swatch-' + D.escape(name) + '"></span>' + D.escape(T[name] || name)] = overlays[name];
    });
    tileOverlays.forEach(function (name) {
      overlayLabels['<span class="swatch swatch-' + D.escape(name) + '"></span>' + D.escape(T[name] || name)] = tiled[name];
    });
    var layerControl = L.control
      .layers(Object.keys(baseLayers).length > 1 ? baseLayers : {}, overlayLabels, {
        collapsed: el.clientWidth < 600,
      })
      .addTo(map);

    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "houhu-legend");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);

    function renderLegend() {
      var items = names.map(function (name) {
        var st = states[name];
        var text;
        if (st.error) text = T.failed;
        else if (name === "households" && map.getZoom() < HOUSEHOLD_MIN_ZOOM) {
          text = overview && overviewLoaded ? String(counts.households) : overview ? T.loading : T.zoomIn;
        }
        else if (!st.loaded) text = T.loading;
        else text = String(counts[name]);
        return D.el("li", { dataset: { layer: name } }, [
          D.el("span", { className: "swatch swatch-" + name }),
          (T[name] || name) + " ",
          D.el("span", { className: "count", text: text }),
        ]);
      });
      if (overlays.households) {
        items.push(D.el("li", { className: "sub", dataset: { layer: "aquaculture" } }, [
          D.el("span", { className: "swatch swatch-aquaculture" }), T.aquaculture,
        ]));
      }
      D.clear(legend.getContainer()).appendChild(D.el("strong", { text: T.legend }));
      legend.getContainer().appendChild(D.el("ul", null, items));
    }

    function url(name, withBbox) {
      var params = [];
      if (district !== null && district !== "" && district !== undefined) {
        params.push("district=" + encodeURIComponent(district));
      }
      if (withBbox) params.push("bbox=" + map.getBounds().toBBoxString());
      return apiRoot + name + "/" + (params.length ? "?" + params.join("&") : "");
    }

    function publish() {
      el.dataset.layerCounts = JSON.stringify(counts);
      renderLegend();
    }

    function loadLayer(name) {
      var st = states[name];
      var withBbox = !!BBOX_LAYERS[name];
      if (st.pending) st.pending.abort();
      if (name === "households" && map.getZoom() < HOUSEHOLD_MIN_ZOOM) {
        overlays[name].clearLayers();
        // The tile overview counts them once its tiles are drawn (its "load", above).
        overviewLoaded = !!overview && !overview.isLoading();
        counts[name] = overviewLoaded ? overview.summary().total : 0;
        st.loaded = true;
        st.error = false;
        return Promise.resolve();
      }
      var ctrl = window.AbortController ? new AbortController() : null;
      st.pending = ctrl;
      return fetch(url(name, withBbox), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: ctrl ? ctrl.signal : undefined,
      })
        .then(function (res) {
          if (!res.ok) throw new Error(name + ": HTTP " + res.status);
          return res.json();
        })
        .then(function (data) {
          if (st.pending !== ctrl) return; // a newer request replaced this one
          st.pending = null;
          overlays[name].clearLayers();
          overlays[name].addData(data);
          // For the first-load benchmark (bench/bench_workspace.py): the first layer drawn.
          if (window.performance && performance.mark && !performance.getEntriesByName("houhu:first-layer").length) {
            performance.mark("houhu:first-layer");
          }
          counts[name] = (data.features || []).length;
          st.loaded = true;
          st.error = false;
          if (name === "districts") overlays[name].bringToBack();
        })
        .catch(function (err) {
          if (err && err.name === "AbortError") return;
          st.pending = null;
          st.loaded = true;
          st.error = true;
          if (window.console) console.error("HouhuMap:", err);
        });
    }

    function loadBboxLayers() {
      var jobs = names.filter(function (n) { return BBOX_LAYERS[n]; }).map(loadLayer);
      return Promise.all(jobs).then(function () {
        // The canvas draws in insertion order: keep transformers above the refetched
        // segments and households so they stay visible and clickable.
        if (overlays["transformer-areas"] && map.hasLayer(overlays["transformer-areas"])) {
          overlays["transformer-areas"].bringToFront();
        }
        publish();
      });
    }

    function fitToDistricts() {
      var gj = overlays.districts;
      if (gj && gj.getLayers().length) {
        // Not animated: the bbox layers are fetched for map.getBounds() right after this.
        map.fitBounds(gj.getBounds(), { padding: [10, 10], animate: false });
        return true;
      }
      return false;
    }

    function markReady() {
      el.dataset.ready = "1";
      window.houhuMapReady = true;
      el.dispatchEvent(new CustomEvent("houhu:loaded", { detail: counts }));
    }

    var moveTimer = null;
    function onMoveEnd() {
      // Debounced: a fling fires several moveends; only the last view matters.
      clearTimeout(moveTimer);
      moveTimer = setTimeout(function () {
        loadBboxLayers().then(markReady);
      }, 150);
    }

    function reload(opts) {
      opts = opts || {};
      el.dataset.ready = "0";
      window.houhuMapReady = false;
      map.off("moveend", onMoveEnd);
      var fixed = names.filter(function (n) { return !BBOX_LAYERS[n]; });
      return Promise.all(fixed.map(loadLayer))
        .then(function () {
          // Fit first, then fetch bbox layers for the view we will actually show.
          if (opts.fit) fitToDistricts();
          return loadBboxLayers();
        })
        .then(function () {
          map.on("moveend", onMoveEnd);
          markReady();
          return counts;
        });
    }

    function tileQuery() {
      return district === null ? "" : "district=" + encodeURIComponent(district);
    }

    function setDistrict(id) {
      district = id === "" || id === undefined ? null : id;
      if (overview) overview.setQuery(tileQuery());
      Object.keys(tiled).forEach(function (n) { tiled[n].setQuery(tileQuery()); });
      return reload({ fit: true });
    }

    renderLegend();
    var api = {
      map: map,
      overlays: overlays,
      layerControl: layerControl,
      legend: legend,
      counts: counts,
      baseLayers: baseLayers,
      overview: overview,
      tiled: tiled,
      reload: function () { return reload({ fit: false }); },
      setDistrict: setDistrict,
      fitToDistricts: fitToDistricts,
      HOUSEHOLD_MIN_ZOOM: HOUSEHOLD_MIN_ZOOM,
    };
    api.ready = reload({ fit: true });
    return api;
  }

  window.HouhuMap = { create: create, COLOURS: COLOURS, HOUSEHOLD_MIN_ZOOM: HOUSEHOLD_MIN_ZOOM };
})();
