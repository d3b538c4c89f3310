/* A small map of one place without a map library: the report's point, the 10 kV line
 * segments around it and a scale bar, drawn as SVG (a few hundred bytes of code instead
 * of Leaflet's 40 KB; it works with no basemap and from the offline cache).
 *
 *   HouhuPlaceMap.draw(box, {lon, lat, segments: url, radius: metres, label: "..."})
 * Segments come from the layer API (GeoJSON, WGS-84); metres from an equirectangular
 * projection around the point, exact enough over ±100 m. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg", W = 320, H = 200;
  function svg(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function draw(box, o) {
    var radius = o.radius || 60; // metres from the point to the map's short edge
    var kx = Math.cos(o.lat * Math.PI / 180) * 111320, ky = 110540;
    var scale = (H / 2) / radius; // px per metre
    function xy(lon, lat) {
      return [W / 2 + (lon - o.lon) * kx * scale, H / 2 - (lat - o.lat) * ky * scale];
    }
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "class": "place-map-svg" });
    if (o.label) root.setAttribute("aria-label", o.label);
    root.appendChild(svg("rect", { x: 0, y: 0, width: W, height: H, "class": "pm-ground" }));
    var lines = svg("g", { "class": "pm-lines" });
    root.appendChild(lines);
    var here = xy(o.lon, o.lat);
    root.appendChild(svg("circle", { cx: here[0], cy: here[1], r: 9, "class": "pm-point" }));
    // Scale bar: 20 m, bottom left.
    var bar = 20 * scale;
    root.appendChild(svg("path", { d: "M10 " + (H - 12) + "h" + bar, "class": "pm-scale" }));
    var t = svg("text", { x: 10, y: H - 18, "class": "pm-text" }); t.textContent = "20 m";
    root.appendChild(t);
    box.appendChild(root);
    box.hidden = false;
    if (!o.segments) return Promise.resolve(0);
    var dLon = radius * 2 / kx, dLat = radius * 2 / ky;
    var bbox = [o.lon - dLon, o.lat - dLat, o.lon + dLon, o.lat + dLat].map(function (v) { return v.toFixed(6); }).join(",");
    return fetch(o.segments + "?bbox=" + bbox, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (fc) {
        (fc.features || []).forEach(function (f) {
          var g = f.geometry || {}, parts = g.type === "MultiLineString" ? g.coordinates : g.type === "LineString" ? [g.coordinates] : [];
          parts.forEach(function (coords) {
            var d = coords.map(function (c, i) { var p = xy(c[0], c[1]); return (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); }).join("");
            var path = svg("path", { d: d, "class": "pm-line" });
            var title = svg("title", {}); title.textContent = (f.properties && (f.properties.line_name || f.properties.code)) || "";
            path.appendChild(title);
            lines.appendChild(path);
          });
        });
        box.setAttribute("data-segments", lines.childNodes.length);
        return lines.childNodes.length;
      })
      .catch(function () { box.setAttribute("data-segments", "0"); return 0; });
  }
  window.HouhuPlaceMap = { draw: draw };
})();
