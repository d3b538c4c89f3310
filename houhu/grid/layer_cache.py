"""Whole GeoJSON layers cached like tiles, under the per-grid versions of the tile layer
whose rows they are (houhu.lib.tilecache): the bump that makes a grid's household tiles
stale makes its households layer stale too. A station's 13,700 households (3.4 MB, 323 kB
gzipped, ~70 ms of PostGIS) are then built once per change instead of once per page load,
and a reload that changed nothing costs a 304.

Cached only where the answer is a function of the grids: a whole layer (no `bbox`: a map
pans to a new box every time) for someone who reads whole grids (not a villager, whose
layer is their own household). The key holds what the answer is built from: the layer,
the reader's row of `scopes.PERSONAL_DATA` (whose names appear), the grids and their
versions. The key's grids are read and the answer is built on the primary
(`primary_reads`), so a lagging replica never stores the state before a change under the
version that change bumped, nor rows under a key that does not name their grids.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from houhu.accounts.scopes import Can, can, districts_for, personal_data_row
from houhu.lib import geojson, tilecache
from houhu.lib.db_router import primary_reads


def key_for(user, layer: str, district_id: int | None) -> str | None:
    """The cache key (and ETag) of `layer` as `user` reads it, or None where it is not
    cached (a villager; no grid; the cache unreachable)."""
    if not user.is_authenticated or can(user, Can.VILLAGER_PAGES):
        return None
    grids = districts_for(user).order_by("pk").values_list("pk", flat=True)
    if district_id is not None:
        grids = grids.filter(pk=district_id)
    # On the primary, as the answer is built: a key naming the grids a lagging replica
    # knew, over rows of the primary's grids, could hand a grid just given to this
    # reader to someone who reads only the older ones.
    with primary_reads():
        district_ids = list(grids)
    if not district_ids:
        return None
    versions = tilecache.versions(layer, district_ids)
    if versions is None:
        return None
    return tilecache.key("geojson", layer, personal_data_row(user), district_ids, versions)


def response(request: HttpRequest, key: str, build: Callable[[], bytes]) -> HttpResponse:
    """The layer under `key`: 304 when the browser holds it, else from the cache, else
    built (on the primary), stored and served."""
    if tilecache.holds_current(request, key):
        return tilecache.revalidated(HttpResponse(status=304), key)
    gzipped = tilecache.get(key)
    if gzipped is None:
        with primary_reads():
            gzipped = geojson.gzip(build())
        tilecache.put(key, gzipped)
    return tilecache.revalidated(geojson.gzipped_response(request, gzipped), key)
