/*
 * csrf.js — houhuFetch(url, options): fetch() for same-site POST/PUT/PATCH/DELETE from
 * pages, adding Django's X-CSRFToken header from the csrftoken cookie (or, if the cookie
 * is HttpOnly, from a {% csrf_token %} input on the page) and sending the session cookie.
 * A plain object `options.json` is sent as a JSON body.
 *
 *   houhuFetch("/api/patrols/reports/", {method: "POST", json: {note: "…"}})
 *     .then(function (res) { ... });
 */
(function () {
  "use strict";

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].trim();
      if (kv.substring(0, name.length + 1) === name + "=") {
        return decodeURIComponent(kv.substring(name.length + 1));
      }
    }
    return null;
  }

  function csrfToken() {
    var fromCookie = cookie("csrftoken");
    if (fromCookie) return fromCookie;
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  var SAFE = /^(GET|HEAD|OPTIONS|TRACE)$/i;

  window.houhuFetch = function (url, options) {
    options = Object.assign({ credentials: "same-origin" }, options || {});
    var headers = new Headers(options.headers || {});
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    if (options.json !== undefined) {
      headers.set("Content-Type", "application/json");
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    if (!SAFE.test(options.method || "GET")) headers.set("X-CSRFToken", csrfToken());
    options.headers = headers;
    return fetch(url, options);
  };
  window.houhuCsrfToken = csrfToken;
})();
