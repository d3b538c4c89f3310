/* In-app notifications (a new report in my grid, my report changed status): an unread
 * count on a button, the list on demand; opening one marks it read and shows its report.
 *
 *   HouhuNotices.mount(buttonEl, listEl, {api, label, empty, open: function (reportId) {}})
 */
(function () {
  "use strict";

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function mount(button, list, o) {
    var items = [];
    function load() {
      return fetch(o.api + "?limit=30", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (page) {
          items = page.results || page;
          // The server counts every unread one; the page holds only the latest 30.
          var unread = typeof page.unread === "number" ? page.unread
            : items.filter(function (n) { return !n.read_at; }).length;
          button.textContent = o.label.replace("{n}", unread);
          button.setAttribute("data-unread", unread);
          button.classList.toggle("has-unread", unread > 0);
          button.hidden = false;
        })
        .catch(function () { /* offline: keep the last count */ });
    }
    function render() {
      list.innerHTML = "";
      if (!items.length) { var p = document.createElement("p"); p.className = "hint"; p.textContent = o.empty; list.appendChild(p); }
      var ul = document.createElement("ul"); ul.className = "notices";
      items.forEach(function (n) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = "#report=" + n.report; a.textContent = n.text || n.message;
        if (!n.read_at) li.className = "unread";
        a.onclick = function (ev) {
          ev.preventDefault();
          if (!n.read_at) {
            fetch(o.api + n.id + "/read/", { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
              .then(load);
          }
          o.open(n.report);
        };
        var when = document.createElement("div"); when.className = "meta";
        when.textContent = new Date(n.created).toLocaleString(document.documentElement.lang || undefined);
        li.appendChild(a); li.appendChild(when); ul.appendChild(li);
      });
      list.appendChild(ul);
    }
    button.addEventListener("click", function () {
      var show = list.hidden;
      list.hidden = !show;
      if (show) render();
    });
    load();
    return { reload: load };
  }

  window.HouhuNotices = { mount: mount };
})();
