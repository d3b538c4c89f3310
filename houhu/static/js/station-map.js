/* The station map page (grid/map.html): one HouhuMap with every layer, a district
   filter kept in the URL (?district=) so a reload or a shared link shows the same grid. */
(function () {
  "use strict";
  var select = document.getElementById("district-filter");
  var hm = HouhuMap.create("map", {
    layers: ["districts", "transformer-areas", "lines", "segments", "households"],
    district: select.value || null,
    tileOverlays: ["coverage"],
  });
  window.stationMap = hm;
  select.addEventListener("change", function () {
    var url = new URL(window.location.href);
    if (select.value) url.searchParams.set("district", select.value);
    else url.searchParams.delete("district");
    window.history.replaceState(null, "", url);
    hm.setDistrict(select.value || null);
  });
})();
