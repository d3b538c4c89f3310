/* The work queue beside the workspace map: new, confirmed and overdue reports of the
 * user's area, most pressing first, as the server sorts them (/api/patrols/queue/). Each
 * item shows the time left before its service target runs out, or how long it is overdue;
 * a click opens the report on the map. Built with HouhuDom (user text never becomes HTML).
 *
 *   HouhuQueue.mount(listEl, {api, T, open: function (id) {}}) -> {reload}
 */
(function () {
  "use strict";
  var el = HouhuDom.el;
  var PAGE = 20;

  function fmt(s, vars) { return String(s).replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; }); }

  // "3 d 4 h" / "5 h" / "20 min": coarse on purpose, a timer is read at a glance.
  function span(ms, T) {
    var min = Math.max(1, Math.round(Math.abs(ms) / 60000));
    var d = Math.floor(min / 1440), h = Math.floor((min % 1440) / 60), m = min % 60;
    if (d) return fmt(T.queue_days, { d: d, h: h });
    if (h) return fmt(T.queue_hours, { h: h });
    return fmt(T.queue_minutes, { m: m });
  }

  function mount(box, o) {
    var T = o.T, offset = 0, items = [], total = 0, now = Date.now();
    var list = el("ol", { className: "queue-list" });
    var more = el("button", { type: "button", className: "btn2 queue-more", hidden: true, text: T.queue_more });
    var head = el("h2", { className: "queue-title" }, [T.queue_title, " ", el("span", { className: "queue-total" })]);
    HouhuDom.clear(box);
    box.appendChild(head); box.appendChild(list); box.appendChild(more);

    function item(r) {
      var left = Date.parse(r.due_at) - now;
      var timer = r.overdue ? fmt(T.queue_overdue, { t: span(left, T) }) : fmt(T.queue_left, { t: span(left, T) });
      var cls = "queue-item" + (r.overdue ? " overdue" : "") + (r.urgent ? " urgent" : "");
      var place = [r.district_name, r.village_name].filter(Boolean).join(" · ");
      var button = el("button", { type: "button", className: "queue-open", dataset: { report: r.id } }, [
        el("span", { className: "queue-timer" }, timer),
        el("strong", null, "#" + r.id + " " + r.kind_label),
        el("span", { className: "queue-meta" }, r.status_label + (r.in_zone ? " · " + T.in_zone : "")),
        el("span", { className: "queue-meta" }, place),
      ]);
      button.addEventListener("click", function () { o.open(r.id); });
      return el("li", { className: cls }, [button]);
    }

    function render() {
      HouhuDom.clear(list);
      if (!items.length) list.appendChild(el("li", { className: "hint" }, T.queue_empty));
      items.forEach(function (r) { list.appendChild(item(r)); });
      head.querySelector(".queue-total").textContent = "(" + total + ")";
      more.hidden = items.length >= total;
    }

    function load(reset) {
      if (reset) { offset = 0; items = []; }
      var url = o.api + "?limit=" + PAGE + "&offset=" + offset;
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (page) {
          now = Date.now();
          total = page.count;
          items = items.concat(page.results);
          offset = items.length;
          render();
        })
        .catch(function () { HouhuDom.clear(list); list.appendChild(el("li", { className: "error" }, T.load_failed)); });
    }
    more.addEventListener("click", function () { load(false); });
    load(true);
    return { reload: function () { return load(true); } };
  }

  window.HouhuQueue = { mount: mount };
})();
