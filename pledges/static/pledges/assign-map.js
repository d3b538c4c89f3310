/* Assignment map: click segments to toggle them into the selection, or draw one patch
   polygon with Leaflet.draw (shipped by django-leaflet). The selection goes into hidden
   form fields; the server validates everything again. */
(function () {
  "use strict";
  var H = window.HouhuPledges;
  var cfg = H.config("assign-config");
  var el = document.getElementById("assign-map");
  if (!cfg || !el) { return; }
  var map = H.makeMap(el, cfg);
  var segField = document.getElementById("id_segments");
  var areaField = document.getElementById("id_area");
  var listEl = document.getElementById("selected-segments");
  var selected = {};
  (segField.value ? segField.value.split(",") : []).forEach(function (id) { if (id) { selected[id] = true; } });

  // PostGIS 3.3's ST_AsGeoJSON(record) keeps the id among the properties.
  function featureId(f) { return f.id !== undefined ? f.id : (f.properties || {}).id; }

  var ON = { color: cfg.selectedColour, weight: 8, opacity: 1 };
  function base(f) {
    var taken = f && f.properties && f.properties.responsible;
    return { color: taken ? cfg.responsibleColour : cfg.segmentColour, weight: 4, opacity: 0.85 };
  }

  function sync(layer) {
    var ids = Object.keys(selected);
    segField.value = ids.join(",");
    var codes = [];
    layer.eachLayer(function (l) {
      var id = String(featureId(l.feature));
      l.setStyle(selected[id] ? ON : base(l.feature));
      if (selected[id]) { codes.push(l.feature.properties.code || id); }
    });
    listEl.textContent = codes.length ? codes.join(", ") : cfg.labels.noneSelected;
    document.getElementById("selected-count").textContent = String(codes.length);
  }

  if (cfg.districtsUrl) {
    H.getJSON(cfg.districtsUrl).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#5b6773", weight: 1, fill: false, dashArray: "4 4" },
                      interactive: false }).addTo(map);
    }).catch(function () { /* outlines are context only */ });
  }

  if (cfg.patchesUrl) {
    H.getJSON(cfg.patchesUrl).then(function (fc) {
      L.geoJSON(fc, {
        style: { color: "#6a4fb3", weight: 2, fillOpacity: 0.08 },
        onEachFeature: function (f, l) { if (f.properties.person) { HouhuDom.tooltip(l, f.properties.person); } }
      }).addTo(map).bringToBack();
    }).catch(function () { /* patches are context only */ });
  }

  var segments = L.geoJSON(null, {
    style: base,
    onEachFeature: function (f, l) {
      var who = f.properties.responsible_name ? " · " + f.properties.responsible_name : "";
      HouhuDom.tooltip(l, (f.properties.code || String(featureId(f))) + who, { sticky: true });
      l.on("click", function () {
        var id = String(featureId(f));
        if (selected[id]) { delete selected[id]; } else { selected[id] = true; }
        sync(segments);
      });
    }
  }).addTo(map);
  window.pledgesAssignMap = { map: map, segments: segments, selected: selected };

  H.getJSON(cfg.segmentsUrl).then(function (fc) {
    segments.addData(fc);
    H.fitTo(map, segments);
    sync(segments);
    el.dataset.loaded = "1";
  }).catch(function () {
    document.getElementById("assign-error").hidden = false;
  });

  // One patch polygon at a time: drawing a new one replaces the old.
  var drawn = new L.FeatureGroup().addTo(map);
  if (areaField.value) {
    try { drawn.addLayer(L.geoJSON(JSON.parse(areaField.value)).getLayers()[0]); } catch (e) { areaField.value = ""; }
  }
  if (L.Control.Draw) {
    map.addControl(new L.Control.Draw({
      draw: { polygon: { allowIntersection: false, showArea: true }, polyline: false, rectangle: false,
              circle: false, marker: false, circlemarker: false },
      edit: { featureGroup: drawn }
    }));
    map.on(L.Draw.Event.CREATED, function (e) {
      drawn.clearLayers();
      drawn.addLayer(e.layer);
      areaField.value = JSON.stringify(e.layer.toGeoJSON().geometry);
    });
    map.on(L.Draw.Event.EDITED, function () {
      var l = drawn.getLayers()[0];
      areaField.value = l ? JSON.stringify(l.toGeoJSON().geometry) : "";
    });
    map.on(L.Draw.Event.DELETED, function () {
      areaField.value = drawn.getLayers().length ? areaField.value : "";
    });
  }
  // "Move to selected" forms carry the current map selection with them.
  document.querySelectorAll("form.fd-form").forEach(function (f) {
    f.addEventListener("submit", function () { f.elements.segments.value = segField.value; });
  });
  var clear = document.getElementById("clear-selection");
  if (clear) {
    clear.addEventListener("click", function () {
      Object.keys(selected).forEach(function (k) { delete selected[k]; });
      drawn.clearLayers();
      areaField.value = "";
      sync(segments);
    });
  }
})();
