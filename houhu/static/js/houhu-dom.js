/*
 * houhu-dom.js — the one way pages put data into the document (loaded by base.html on
 * every page, before any page script).
 *
 * Names, notes, reasons and every other text a user wrote reach the browser inside JSON
 * and must never be parsed as HTML: a grid manager's "<img onerror=…>" in an assignment
 * name once ran in staff's browsers through a Leaflet tooltip. So:
 *   - build elements with HouhuDom.el(tag, props, children): strings become text nodes;
 *   - give Leaflet tooltips and popups through HouhuDom.tooltip / HouhuDom.popup, which
 *     hand Leaflet a DOM node (Leaflet parses a *string* as HTML);
 *   - HouhuDom.escape only where a library accepts nothing but an HTML string (the names in
 *     Leaflet's layer control).
 * tests/test_security_static.py refuses innerHTML with content, insertAdjacentHTML,
 * document.write and direct bindTooltip/bindPopup calls anywhere else.
 *
 * It also carries the pages' small declarative behaviours, so templates need no inline
 * event handlers (the Content-Security-Policy forbids them):
 *   <select data-autosubmit>  submits its form on change;
 *   <button data-print>       prints the page.
 */
(function (root) {
  "use strict";

  function escape(value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function text(value) {
    return document.createTextNode(value === null || value === undefined ? "" : String(value));
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(parent, c); }); return; }
    parent.appendChild(child instanceof Node ? child : text(child));
  }

  /* el("td", {className: "num", dataset: {count: "3"}, href: "tel:1"}, ["text", node, …]).
   * Props are set as DOM properties (never as HTML); children strings become text. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined) return;
      if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = String(value[k]); });
      else if (key === "text") node.textContent = String(value);
      else if (key === "attrs") Object.keys(value).forEach(function (k) { node.setAttribute(k, String(value[k])); });
      else node[key] = value;
    });
    append(node, children);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function asNode(content) {
    return content instanceof Node ? content : el("span", null, [content]);
  }

  /* Leaflet calls a content function each time it opens: a fresh node every time. */
  function lazy(content, layer) {
    return function () { return asNode(typeof content === "function" ? content(layer) : content); };
  }

  /* A tooltip of plain text (or of a node / a function returning either). */
  function tooltip(layer, content, options) {
    return layer.bindTooltip(lazy(content, layer), options);
  }

  /* A popup built by `build(layer)`, which returns a node (or plain text). */
  function popup(layer, build, options) {
    return layer.bindPopup(lazy(build, layer), options);
  }

  /* A popup opened at a place rather than bound to a layer (a vector tile's feature). */
  function popupAt(map, latlng, build, options) {
    return L.popup(options).setLatLng(latlng).setContent(lazy(build)).openOn(map);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-autosubmit]") && target.form) target.form.submit();
  });
  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest && event.target.closest("[data-print]");
    if (target) { event.preventDefault(); root.print(); }
  });

  root.HouhuDom = { el: el, text: text, escape: escape, clear: clear, tooltip: tooltip, popup: popup, popupAt: popupAt };
})(window);
