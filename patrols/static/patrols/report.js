/* The villager's report form: kind, its few fields, location (GPS or a tap on a map that
 * is loaded only on demand), photos (downscaled on the phone), note; one tap to send.
 * Every report goes through the outbox (outbox.js) first, so nothing typed is lost when
 * the signal drops between "send" and the answer. */
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("patrols-i18n").textContent);
  var C = JSON.parse(document.getElementById("patrols-config").textContent);
  var form = document.getElementById("report-form");
  var $ = function (sel) { return form.querySelector(sel); };
  var outboxEl = document.getElementById("outbox");
  var errorEl = document.getElementById("form-error");
  var locStatus = document.getElementById("loc-status");
  var DRAFT = "houhu-patrols-draft";
  var MAX_SIDE = 1600; // px: enough to see a branch on a conductor, ~300 KB instead of 4 MB
  var photos = [];
  var clientId;
  var map, marker;
  var lastWaiting = 0;
  HouhuOutbox.setUser(C.userId);

  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; }); }
  function field(name) { return form.elements[name]; }

  /* --- draft: the client_id is made when the form opens and kept with the draft ---- */
  function saveDraft() {
    var d = { client_id: clientId, values: {} };
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.type === "hidden" && !/^(lon|lat|accuracy_m|location_source)$/.test(el.name)) return;
      if ((el.type === "radio" || el.type === "checkbox")) { if (el.checked) d.values[el.name] = el.value; }
      else d.values[el.name] = el.value;
    });
    try { localStorage.setItem(DRAFT, JSON.stringify(d)); } catch (e) { /* private mode: no draft */ }
  }
  function loadDraft() {
    var d = null;
    try { d = JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { d = null; }
    clientId = (d && d.client_id) || HouhuOutbox.uuid();
    if (!d) return;
    Object.keys(d.values).forEach(function (name) {
      var els = form.querySelectorAll('[name="' + name + '"]');
      Array.prototype.forEach.call(els, function (el) {
        if (el.type === "radio" || el.type === "checkbox") el.checked = el.value === d.values[name];
        else el.value = d.values[name];
      });
    });
    if (field("lat").value) showLocation(field("location_source").value, field("accuracy_m").value);
  }
  function resetForm() {
    form.reset();
    ["lon", "lat", "accuracy_m", "location_source"].forEach(function (n) { field(n).value = ""; });
    photos = []; renderPhotos();
    clientId = HouhuOutbox.uuid();
    try { localStorage.removeItem(DRAFT); } catch (e) { /* ignore */ }
    showKind();
    locate();
  }

  /* --- kind ---------------------------------------------------------------------- */
  function showKind() {
    var kind = (form.querySelector('input[name="kind"]:checked') || {}).value;
    Array.prototype.forEach.call(form.querySelectorAll(".kind-fields"), function (box) {
      box.hidden = box.getAttribute("data-kind") !== kind;
    });
  }

  /* --- location ------------------------------------------------------------------ */
  function setLocation(lat, lon, accuracy, source) {
    field("lat").value = lat.toFixed(7);
    field("lon").value = lon.toFixed(7);
    field("accuracy_m").value = accuracy == null ? "" : Math.round(accuracy);
    field("location_source").value = source;
    showLocation(source, field("accuracy_m").value);
    saveDraft();
  }
  function showLocation(source, accuracy) {
    locStatus.className = "status ok";
    locStatus.textContent = source === "map" ? T.located_map
      : source === "exif" ? T.located_exif : fmt(T.located, { m: accuracy || "?" });
  }
  function locate() {
    if (!navigator.geolocation) { locStatus.textContent = T.no_gps; return; }
    locStatus.className = "status hint";
    locStatus.textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      // A tap on the map is a deliberate choice: a late GPS fix must not overwrite it.
      if (field("location_source").value === "map") return;
      setLocation(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy, "gps");
      if (marker) marker.setLatLng([pos.coords.latitude, pos.coords.longitude]);
    }, function () {
      if (!field("lat").value) { locStatus.className = "status error"; locStatus.textContent = T.no_gps; }
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  function loadOnce(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (k) { el[k] = attrs[k]; });
      el.onload = resolve; el.onerror = reject;
      document.head.appendChild(el);
    });
  }
  function openMap() {
    var box = document.getElementById("pick-map");
    box.hidden = false;
    locStatus.className = "status hint";
    locStatus.textContent = T.tap_map;
    if (map) { map.invalidateSize(); return; }
    var ready = window.L ? Promise.resolve() : Promise.all([
      loadOnce("link", { rel: "stylesheet", href: C.leafletCss }),
      loadOnce("script", { src: C.leafletJs }),
    ]).then(function () { return loadOnce("script", { src: C.villagerMapJs }); });
    ready.then(function () {
      var here = field("lat").value ? [+field("lat").value, +field("lon").value] : C.center;
      // No tile server is assumed (tests, offline sites): the line segments drawn on a
      // plain background are what the villager aims at.
      map = L.map(box, { preferCanvas: true }).setView(here, 17);
      // Around the villager's home: the grid, the houses, the lines' names, where they stand.
      HouhuVillagerMap.tiles(map, C.tiles);
      if (C.aroundMe) {
        HouhuVillagerMap.draw(map, { url: C.aroundMe, labels: { home: T.map_home, here: T.map_here } }).catch(function () {});
        HouhuVillagerMap.locate(map, { here: T.map_here });
      }
      fetch(form.getAttribute("data-segments") + "?bbox=" + map.getBounds().pad(2).toBBoxString(),
            { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fc) { if (fc) L.geoJSON(fc, { style: { color: "#d32f2f", weight: 4 } }).addTo(map); })
        .catch(function () { /* the map still works without the lines */ });
      marker = L.circleMarker(here, { radius: 10, color: "#0b6e4f", weight: 3, fillOpacity: 0.4 }).addTo(map);
      map.on("click", function (e) {
        marker.setLatLng(e.latlng);
        setLocation(e.latlng.lat, e.latlng.lng, null, "map");
      });
    }).catch(function () { locStatus.className = "status error"; locStatus.textContent = T.map_failed; });
  }

  /* --- photos -------------------------------------------------------------------- */
  function downscale(file) {
    // Decoding a corrupt or exotic file fails here: send the original and let the server
    // give its clear error rather than guess in the browser.
    if (!window.createImageBitmap || !/^image\/(jpeg|png|webp)$/.test(file.type)) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.size < 1500000) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale); canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }
  function renderPhotos() {
    var list = document.getElementById("photo-list"), count = document.getElementById("photo-count");
    list.innerHTML = "";
    photos.forEach(function (p, i) {
      var li = document.createElement("li");
      var img = document.createElement("img"); img.src = p.url; img.alt = fmt(T.photo_n, { n: i + 1 });
      var rm = document.createElement("button"); rm.type = "button"; rm.textContent = "×";
      rm.className = "photo-remove";
      rm.title = T.remove_photo; rm.setAttribute("aria-label", T.remove_photo + " " + (i + 1));
      rm.onclick = function () { URL.revokeObjectURL(p.url); photos.splice(i, 1); renderPhotos(); };
      li.appendChild(img); li.appendChild(rm); list.appendChild(li);
    });
    // "No file chosen" is the browser's text; this says what the villager has taken.
    count.setAttribute("data-count", photos.length);
    count.textContent = photos.length ? fmt(T.photo_count, { n: photos.length, max: C.maxPhotos }) : "";
    form.classList.toggle("photos-full", photos.length >= C.maxPhotos);
  }
  function addPhotos(files) {
    var room = C.maxPhotos - photos.length;
    if (files.length > room) showError(fmt(T.too_many_photos, { n: C.maxPhotos }));
    Array.prototype.slice.call(files, 0, Math.max(room, 0)).forEach(function (file) {
      downscale(file).then(function (blob) {
        var name = (file.name || "photo").replace(/\.\w+$/, "") + (blob === file ? (file.name.match(/\.\w+$/) || [".jpg"])[0] : ".jpg");
        photos.push({ blob: blob, original: file, name: name, url: URL.createObjectURL(blob) });
        renderPhotos();
      });
    });
  }

  /* --- outbox status --------------------------------------------------------------- */
  function showOutbox(result) {
    if (!result) return;
    outboxEl.setAttribute("data-waiting", result.waiting || 0);
    if (result.waiting) {
      outboxEl.hidden = false; outboxEl.className = "outbox";
      outboxEl.textContent = fmt(T.waiting, { n: result.waiting });
    } else if ((result.sent && result.sent.length) || lastWaiting > 0) {
      // The worker (Background Sync) may have sent it first: a drop to zero is "sent" too.
      outboxEl.hidden = false; outboxEl.className = "outbox sent";
      outboxEl.textContent = T.sent;
    } else if (!result.failedTotal && outboxEl.className !== "outbox sent") {
      outboxEl.hidden = true;
    }
    lastWaiting = result.waiting || 0;
    if (result.failedTotal) {
      outboxEl.hidden = false; outboxEl.className = "outbox failed";
      HouhuOutbox.all().then(function (items) {
        outboxEl.innerHTML = "";
        if (result.waiting) outboxEl.appendChild(document.createTextNode(fmt(T.waiting, { n: result.waiting }) + " "));
        items.filter(function (i) { return i.error; }).forEach(function (item) {
          var p = document.createElement("p");
          p.textContent = fmt(T.failed, { error: item.error }) + " ";
          var b = document.createElement("button"); b.type = "button"; b.className = "btn2 danger";
          b.textContent = T.discard;
          b.onclick = function () { HouhuOutbox.remove(item.client_id).then(HouhuOutbox.flush); };
          p.appendChild(b); outboxEl.appendChild(p);
        });
      });
    }
  }
  HouhuOutbox.onChange(showOutbox);

  function showError(msg) { errorEl.hidden = !msg; errorEl.textContent = msg || ""; }

  /* --- submit -------------------------------------------------------------------- */
  function collect() {
    var kind = (form.querySelector('input[name="kind"]:checked') || {}).value;
    var f = { kind: kind, submitted_at: new Date().toISOString() };
    // Keep the draft's id: a retry of this very report must carry the same one.
    ["lon", "lat", "accuracy_m", "location_source", "note"].forEach(function (n) { f[n] = field(n).value; });
    var box = form.querySelector('.kind-fields[data-kind="' + kind + '"]');
    if (box) Array.prototype.forEach.call(box.querySelectorAll("input, select, textarea"), function (el) {
      if (el.type === "radio") { if (el.checked) f[el.name] = el.value; }
      else if (el.type === "checkbox") f[el.name] = el.checked ? "true" : "false";
      else f[el.name] = el.value;
    });
    return f;
  }

  /* --- "already reported here?" (nearby.js asks; the villager decides) ------------- */
  var nearbyChecked = null; // the place and kind last checked: asked once per place

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = collect();
    if (!f.kind) return showError(T.need_kind);
    // Without a GPS fix or a tap, the server may still read the place from a photo's EXIF.
    var fromExif = (!f.lat || !f.lon) && photos.length > 0;
    if ((!f.lat || !f.lon) && !fromExif) return showError(T.need_location);
    showError("");
    var key = [f.kind, f.lon, f.lat].join();
    if (!fromExif && window.HouhuNearby && nearbyChecked !== key) {
      nearbyChecked = key;
      var button = document.getElementById("submit");
      button.disabled = true;
      // No answer (no signal, slow server): send as usual; staff can still merge.
      HouhuNearby.check(C.nearbyApi, f).then(function (rows) {
        button.disabled = false;
        if (!rows.length) return send(f, fromExif);
        HouhuNearby.offer(rows, T, {
          add: function (row) { return addSighting(f, row); },
          send: function () { send(f, fromExif); },
        });
      });
      return;
    }
    send(f, fromExif);
  });

  function finish(title, href) {
    document.getElementById("done-title").textContent = title;
    var link = document.getElementById("done-link");
    if (href) link.href = href;
    form.hidden = true;
    document.getElementById("nearby").hidden = true;
    document.getElementById("done").hidden = false;
    try { localStorage.removeItem(DRAFT); } catch (e) { /* ignore */ }
  }

  function addSighting(f, row) {
    return HouhuNearby.addSighting(C.sightingsApi, {
      client_id: clientId, report: row.id, lon: f.lon, lat: f.lat, note: f.note || "",
    }).then(function () { finish(T.sighting_title); }, function (e) { showError(e.message || T.server_error); });
  }

  function send(f, fromExif) {
    var button = document.getElementById("submit");
    button.disabled = true;
    document.getElementById("nearby").hidden = true;
    var item = {
      client_id: clientId, user: C.userId, fields: f, csrf: HouhuOutbox.csrf(), created: Date.now(),
      // The downscaled copy has no EXIF; send the original when its GPS is all we have.
      photos: photos.map(function (p) {
        return fromExif ? { blob: p.original, name: p.original.name || p.name } : { blob: p.blob, name: p.name };
      }),
    };
    outboxEl.hidden = false; outboxEl.className = "outbox"; outboxEl.textContent = T.sending;
    HouhuOutbox.put(item).then(function () {
      return HouhuOutbox.flush();
    }).then(function (result) {
      var sent = result.sent.filter(function (s) { return s.client_id === item.client_id; })[0];
      var failed = result.failed.filter(function (s) { return s.client_id === item.client_id; })[0];
      if (failed) {
        // Nothing was stored: the villager corrects the form and sends the same id again.
        HouhuOutbox.remove(item.client_id).then(HouhuOutbox.flush);
        showError(failed.error);
        return;
      }
      finish(sent ? T.sent_title : T.queued_title,
             sent && sent.report && sent.report.id ? C.detailBase + sent.report.id + "/" : null);
      if (!sent) HouhuOutbox.requestSync();
    }).catch(function (e) {
      showError(String(e));
    }).then(function () { button.disabled = false; });
  }

  document.getElementById("again").addEventListener("click", function () {
    nearbyChecked = null;
    resetForm();
    form.hidden = false;
    document.getElementById("done").hidden = true;
  });
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "kind") showKind();
    if (ev.target.type !== "file") saveDraft();
  });
  form.addEventListener("input", saveDraft);
  ["photos", "photos-gallery"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function (ev) {
      addPhotos(ev.target.files); ev.target.value = "";
    });
  });
  document.getElementById("loc-gps").addEventListener("click", function () {
    field("location_source").value = ""; locate();
  });
  document.getElementById("loc-map").addEventListener("click", openMap);

  window.addEventListener("online", function () { HouhuOutbox.flush(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(C.sw).catch(function () { /* pages still work without it */ });
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "houhu-outbox") showOutbox(ev.data.result);
    });
  }

  loadDraft();
  showKind();
  if (!field("lat").value || field("location_source").value === "gps") locate();
  HouhuOutbox.flush();
})();
