/* Outbox of patrol reports written on the phone, kept in IndexedDB until the server has
 * them. Loaded by the pages and by the service worker (importScripts), so one piece of
 * code sends the queue whether the page is open (online event, page load) or not
 * (Background Sync).
 *
 * Hand-written rather than a library (idb-keyval, Workbox) because it is ~150 lines and
 * the villager's phone should not download more than it needs.
 *
 * Item: {client_id, user, fields: {name: value}, photos: [{blob, name}], csrf, created,
 *        error?: string}. The client_id is made when the form opens; the server keeps it
 * unique forever, so sending an item twice (page and worker racing, a lost answer) makes
 * one report and the second answer is the first one again.
 */
(function (root) {
  "use strict";
  // "sent": a short log of what this phone sent (for "sent" on the pages), newest kept.
  var DB = "houhu-patrols", STORE = "outbox", SENT = "sent", VERSION = 2, SENT_KEPT = 20;
  var API = "/api/patrols/reports/";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB, VERSION);
      req.onupgradeneeded = function () {
        var names = req.result.objectStoreNames;
        if (!names.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: "client_id" });
        if (!names.contains(SENT)) req.result.createObjectStore(SENT, { keyPath: "client_id" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, fn, name) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(name || STORE, mode), store = t.objectStore(name || STORE), out;
        var r = fn(store);
        if (r) r.onsuccess = function () { out = r.result; };
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function all() { return tx("readonly", function (s) { return s.getAll(); }).then(function (x) { return x || []; }); }

  /* The sent log: what left this phone and when, with the server's report id. Only the
   * kind, the time and the id: the report itself is on the server. */
  function logSent(item, report) {
    var row = { client_id: item.client_id, user: item.user, kind: item.fields.kind, created: item.created,
                sent_at: Date.now(), report: report && report.id };
    return tx("readwrite", function (s) { return s.put(row); }, SENT).then(function () {
      return tx("readonly", function (s) { return s.getAll(); }, SENT);
    }).then(function (rows) {
      rows = (rows || []).sort(function (a, b) { return b.sent_at - a.sent_at; });
      var old = rows.slice(SENT_KEPT);
      if (!old.length) return;
      return tx("readwrite", function (s) { old.forEach(function (r) { s.delete(r.client_id); }); }, SENT);
    });
  }
  function sentLog(user) {
    return tx("readonly", function (s) { return s.getAll(); }, SENT).then(function (rows) {
      return (rows || []).filter(function (r) { return user === undefined || r.user === user; })
        .sort(function (a, b) { return b.sent_at - a.sent_at; });
    });
  }

  function cookie(name) {
    if (typeof document === "undefined") return "";
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function formData(item) {
    var fd = new FormData();
    fd.append("client_id", item.client_id);
    Object.keys(item.fields).forEach(function (k) {
      var v = item.fields[k];
      if (v !== null && v !== undefined && v !== "") fd.append(k, v);
    });
    (item.photos || []).forEach(function (p) { fd.append("photos", p.blob, p.name || "photo.jpg"); });
    // The phone's clock now, at each try: the server moves submitted_at by how far this
    // clock is off (a phone reset to 2000 still dates its report right).
    fd.append("sent_at", new Date().toISOString());
    return fd;
  }

  function errorText(data) {
    if (!data) return "";
    if (typeof data === "string") return data;
    if (data.detail) return String(data.detail);
    return Object.keys(data).map(function (k) {
      var v = data[k];
      return (Array.isArray(v) ? v.join(" ") : typeof v === "object" ? errorText(v) : String(v));
    }).join(" ");
  }

  /* One POST. Resolves {status, data}; status 0 = no connection. */
  function send(item) {
    // In the page the cookie is fresh; the worker cannot read cookies and uses the
    // token saved with the item.
    var token = cookie("csrftoken") || item.csrf || "";
    return fetch(API, {
      method: "POST", body: formData(item), credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" },
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        return { status: res.status, data: data };
      });
    }, function () { return { status: 0, data: null }; });
  }

  var listeners = [];
  function notify(event) { listeners.forEach(function (fn) { try { fn(event); } catch (e) { /* a broken listener must not stop the queue */ } }); }

  /* Send every waiting item once. Items the server refuses for their content (400, 422)
   * keep their error for the villager to read and discard; anything else (offline, 5xx,
   * an expired session) stays to be retried. */
  var currentUser = null;

  /* Whose session is this? The page knows; the worker asks the server, so that on a
   * phone shared by a family a report is never sent under someone else's account. */
  function whoAmI() {
    if (currentUser !== null) return Promise.resolve(currentUser);
    return fetch("/api/me/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
      .then(function (me) { return me ? me.id : null; });
  }

  function flushNow() {
    return whoAmI().then(function (user) {
      return all().then(function (items) {
        return items.filter(function (i) { return user !== null && (i.user === undefined || i.user === user); });
      });
    }).then(function (items) {
      var result = { sent: [], failed: [], waiting: 0, offline: false };
      var chain = Promise.resolve();
      items.forEach(function (item) {
        chain = chain.then(function () {
          if (item.error || result.offline) { if (!item.error) result.waiting++; return; }
          return send(item).then(function (r) {
            if (r.status === 200 || r.status === 201) {
              result.sent.push({ client_id: item.client_id, report: r.data });
              return logSent(item, r.data).catch(function () {}).then(function () { return remove(item.client_id); });
            }
            if (r.status === 400 || r.status === 422) {
              item.error = errorText(r.data) || String(r.status);
              result.failed.push(item);
              return put(item);
            }
            if (r.status === 0) result.offline = true;
            result.waiting++;
          });
        });
      });
      return chain.then(function () {
        return all().then(function (left) {
          if (currentUser !== null) left = left.filter(function (i) { return i.user === undefined || i.user === currentUser; });
          result.waiting = left.filter(function (i) { return !i.error; }).length;
          result.failedTotal = left.length - result.waiting;
          notify(result);
          return result;
        });
      });
    });
  }

  var running = null;
  /* Page and worker may flush at the same moment: a Web Lock (where the browser has it)
   * keeps it to one sender; without it the server's idempotency still makes one report. */
  function flush() {
    if (running) return running;
    var locks = root.navigator && root.navigator.locks;
    var p = locks ? locks.request("houhu-outbox", flushNow) : flushNow();
    running = p.then(function (r) { running = null; return r; }, function (e) { running = null; throw e; });
    return running;
  }

  root.HouhuOutbox = {
    put: put, remove: remove, all: all, flush: flush, sentLog: sentLog, send: send, errorText: errorText,
    setUser: function (id) { currentUser = id; },
    csrf: function () { return cookie("csrftoken"); },
    onChange: function (fn) { listeners.push(fn); },
    requestSync: function () {
      // Background Sync sends the queue even if the villager has closed the page.
      if (!("serviceWorker" in root.navigator)) return Promise.resolve(false);
      return root.navigator.serviceWorker.ready.then(function (reg) {
        return reg.sync ? reg.sync.register("houhu-outbox").then(function () { return true; }) : false;
      }).catch(function () { return false; });
    },
    uuid: function () {
      if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
      // Older phones: RFC 4122 version 4 from getRandomValues.
      var b = new Uint8Array(16); root.crypto.getRandomValues(b);
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
      return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
    },
  };
})(typeof self !== "undefined" ? self : window);
