"""Vector tiles of the layers that grow with the area: `/tiles/<layer>/<z>/<x>/<y>.pbf`.

Each app registers its layers here (grid: households, segments; pledges: coverage;
patrols: reports) in its AppConfig.ready, so this module imports none of them. A layer is
a function `(user, district_ids, z, x, y, params) -> MVT bytes` built by
`houhu.lib.mvt` from the app's own scoped selector, restricted to `district_ids`.

Who sees what is decided as for the GeoJSON layers (houhu.accounts.scopes):
- the tile map is for those who read the staff pages (staff, grid managers, admins,
  leaders); a villager's phone pages draw their own household in GeoJSON (403 here);
- the rows are the grids of `districts_for(user)` that overlap the tile: a leader the
  whole county's, staff their station's, a grid manager their grids';
- no tile carries a name, customer number, phone or address of anyone: tiles draw, the
  GeoJSON layers and the API (which ask `scopes.PERSONAL_DATA`) say who. The key still
  holds the user's PERSONAL_DATA row, so a layer that one day carries a name cannot
  serve it from the cache to someone who may not see it.

Caching (houhu.lib.tilecache): a tile is keyed by its layer, z/x/y, the filters, whose
names the user may see and its grids, and stored with the version of every grid whose rows
it may hold, so tiles are shared by everyone with the same view and go stale by themselves
when a grid's layer changes (`ledger_changed` -> versions bumped after the commit).
Answers: gzip as stored, `Cache-Control: private, no-cache` with an ETag (the key and the
versions), so the browser revalidates every tile (a 304 costs no body) and a redraw after
a write shows the write.

A tile already built is served without the session, the user or their grids
(`_served_from_cache`): the reader's grids and row are cached per session
(houhu.accounts.reader_cache) and the grids near each tile are cached for everyone, both
under the readers' generation that any change of a user, grid or station bumps. Anything
missing (a first request, a tile not built yet, Redis down) goes the whole way.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden

from houhu.accounts import reader_cache
from houhu.accounts.reader_cache import Reader
from houhu.accounts.scopes import Can, can, districts_for, personal_data_row
from houhu.lib import mvt, tilecache
from houhu.lib.geojson import accepts_gzip

MVT = "application/vnd.mapbox-vector-tile"

# A grid's features lie inside its boundary (households and segments belong to the grid
# that contains them; reports take their segment's grid, within the snapping radius):
# a grid whose boundary comes within this many tiles of a tile may have rows in it.
DISTRICT_MARGIN_TILES = 0.25

Builder = Callable[..., bytes]


@dataclass(frozen=True)
class TileLayer:
    name: str
    build: Builder
    # Senders of `ledger_changed` (model labels, "patrols.Report") that make it stale.
    changed_by: frozenset[str] = field(default_factory=frozenset)
    # Query parameters the layer reads (the rest are ignored, and not in the cache key).
    params: tuple[str, ...] = ()
    # Values the layer depends on besides the request (e.g. the day a time window starts):
    # passed to `build` with the parameters, and part of the cache key.
    context: Callable[[], dict[str, Any]] | None = None


_layers: dict[str, TileLayer] = {}


def register(layer: TileLayer) -> None:
    _layers[layer.name] = layer


def layers() -> dict[str, TileLayer]:
    return dict(_layers)


def layers_changed_by(sender: Any) -> list[str]:
    """The layers a ledger change by `sender` (a model class, or None: anything) touches."""
    label = getattr(getattr(sender, "_meta", None), "label", None)
    return [layer.name for layer in _layers.values() if label is None or label in layer.changed_by]


def on_ledger_changed(sender: Any, district_ids: Iterable[int] = (), **kwargs: Any) -> None:
    """`ledger_changed` receiver (GridConfig.ready): the changed grids' tiles of the
    touched layers go stale once the transaction commits."""
    tilecache.bump_after_commit(layers_changed_by(sender), district_ids)


def near_districts(z: int, x: int, y: int, generation: int | None, cached=None) -> list[int]:
    """Every grid (anyone's) whose boundary comes near this tile, in id order: read under
    the readers' generation (houhu.accounts.reader_cache), which a saved or deleted grid
    bumps, and kept as long as a tile."""
    if cached is None:
        cached = reader_cache.stored(_near_key(z, x, y), generation)
    if cached is not None:
        return cached
    from .models import District

    near = mvt.tile_bounds_4326(z, x, y, margin=DISTRICT_MARGIN_TILES)
    rows = District.objects.filter(boundary__bboverlaps=near).order_by("pk")
    ids = list(rows.values_list("pk", flat=True))
    reader_cache.store(_near_key(z, x, y), ids, generation, settings.HOUHU_TILE_CACHE_SECONDS)
    return ids


def _near_key(z: int, x: int, y: int) -> str:
    return f"near:{z}/{x}/{y}"


def tile_districts(request: HttpRequest, reader: Reader, near: list[int]) -> list[int]:
    """The grids the reader reads whose boundary comes near the tile; `?district=<id>`, on
    every layer, is the map's grid filter (within the reader's grids)."""
    mine = set(reader.district_ids)
    only = request.GET.get("district", "")
    return [d for d in near if d in mine and (not only or str(d) == only)]


def _tile_entry(request, spec: TileLayer, reader: Reader, district_ids, z, x, y):
    """The layer's parameters and the tile's cache entry (None without grids): everything
    the tile is built from but the grids' versions (houhu.lib.tilecache keeps those with
    it), the reader's PERSONAL_DATA row included, so tiles are shared only between
    readers who may see the same."""
    params: dict[str, Any] = {k: request.GET[k] for k in spec.params if request.GET.get(k)}
    if spec.context is not None:
        params.update(spec.context())
    if not district_ids:
        return params, None
    entry = tilecache.key(
        spec.name, z, x, y, reader.personal_data, sorted(params.items(), key=str), district_ids
    )
    return params, entry


def tile_view(request: HttpRequest, layer: str, z: int, x: int, y: int) -> HttpResponse:
    spec = _layers.get(layer)
    known = spec is not None and mvt.valid_tile(z, x, y)
    if known:
        served = _served_from_cache(request, spec, z, x, y)
        if served is not None:
            return served
    # Read before the user and their grids, which it guards (reader_cache).
    generation = reader_cache.generation()
    user = request.user
    if not can(user, Can.STAFF_PAGES):
        return HttpResponseForbidden()
    if not known:
        raise Http404
    reader = Reader(
        user_id=user.pk,
        district_ids=tuple(districts_for(user).order_by("pk").values_list("pk", flat=True)),
        # Whose names this user may see (scopes.PERSONAL_DATA): the layers ask the table
        # themselves; the key holds the user's row, so tiles are shared within one row.
        personal_data=personal_data_row(user),
    )
    reader_cache.remember(request, reader, generation)
    district_ids = tile_districts(request, reader, near_districts(z, x, y, generation))
    params, entry = _tile_entry(request, spec, reader, district_ids, z, x, y)
    versions, data, etag = None, None, None
    if entry is not None:
        # versions None: Redis down, the tile is built and not cached.
        versions, data, etag = _cached(spec, district_ids, entry)
        if etag and tilecache.holds_current(request, etag):
            return tilecache.revalidated(HttpResponse(status=304), etag)
    if data is None:
        data = b""
        if district_ids:
            raw = spec.build(user=user, district_ids=district_ids, z=z, x=x, y=y, params=params)
            data = mvt.gzipped(raw) if raw else b""
        if versions is not None:
            tilecache.store(entry, versions, data)
    return _answer(request, data, etag)


def _served_from_cache(request: HttpRequest, spec: TileLayer, z, x, y) -> HttpResponse | None:
    """A tile already built, for a reader whose session the cache knows: two Redis round
    trips (the reader, the generation and the grids near the tile; the grids' versions and
    the tile), no session, user or grid from PostgreSQL. None: go the whole way (no
    current entry, a tile not built yet, Redis down)."""
    try:
        reader, generation, found = reader_cache.recall(request, [_near_key(z, x, y)])
    except LookupError:
        return None
    near = near_districts(z, x, y, generation, found.get(_near_key(z, x, y)))
    district_ids = tile_districts(request, reader, near)
    _params, entry = _tile_entry(request, spec, reader, district_ids, z, x, y)
    if entry is None:
        return None
    _versions, data, etag = _cached(spec, district_ids, entry)
    if etag and tilecache.holds_current(request, etag):
        return tilecache.revalidated(HttpResponse(status=304), etag)
    return None if data is None else _answer(request, data, etag)


def _cached(spec: TileLayer, district_ids, entry: str):
    """The grids' versions, the tile stored under them (or None) and its ETag (the entry
    and the versions); all None if the cache is unreachable."""
    versions, data = tilecache.lookup(spec.name, district_ids, entry)
    if versions is None:
        return None, None, None
    return versions, data, tilecache.key(entry, versions)


def _answer(request: HttpRequest, data: bytes, tile_key: str | None) -> HttpResponse:
    if data and not accepts_gzip(request):
        response = HttpResponse(gzip.decompress(data), content_type=MVT)
    else:
        response = HttpResponse(data, content_type=MVT)
        if data:
            # Set here, so GZipMiddleware leaves the stored gzip as it is.
            response["Content-Encoding"] = "gzip"
    return tilecache.revalidated(response, tile_key)


# --- the grid's own layers ----------------------------------------------------------------

# Below this zoom households are counted per cell (a county is 275,000 points); from it on
# every household is drawn (a z14 tile is ~2.4 km wide: a few hundred households).
HOUSEHOLD_POINTS_MIN_ZOOM = 14


def households_tile(*, user, district_ids, z, x, y, params) -> bytes:
    from django.db.models import F

    from .selectors import households_for

    rows = households_for(user).filter(transformer_area__district__in=district_ids)
    if z < HOUSEHOLD_POINTS_MIN_ZOOM:
        rows = rows.filter(location__bboverlaps=mvt.tile_bounds_4326(z, x, y)).values(
            "is_aquaculture", geom=F("location")
        )
        return mvt.cells_tile(
            "households",
            rows,
            z=z,
            x=x,
            y=y,
            aggregates={"aquaculture": "count(*) FILTER (WHERE q.is_aquaculture)"},
        )
    # What the map draws, no more: no name, number or phone of anyone (the GeoJSON layer
    # and its popups, from HOUSEHOLD_MIN_ZOOM, say who lives there to those who may know).
    rows = rows.filter(
        location__bboverlaps=mvt.tile_bounds_4326(z, x, y, margin=mvt.buffer_margin())
    ).values("id", "is_aquaculture", district_id=F("transformer_area__district_id"),
             geom=F("location"))  # fmt: skip
    return mvt.features_tile(
        "households", rows, columns=HOUSEHOLD_COLUMNS, feature_id="id", z=z, x=x, y=y,
        extent=mvt.POINT_EXTENT,
    )  # fmt: skip


HOUSEHOLD_COLUMNS = ["district_id", "is_aquaculture"]


def segments_tile(*, user, district_ids, z, x, y, params) -> bytes:
    from django.db.models import F

    from .selectors import segments_for

    rows = (
        segments_for(user)
        .filter(district__in=district_ids)
        .filter(geom__bboverlaps=mvt.tile_bounds_4326(z, x, y, margin=mvt.buffer_margin()))
        .values("id", "code", "seq", "district_id", line_code=F("line__code"),
                voltage_kv=F("line__voltage_kv"), geom_4326=F("geom"))
    )  # fmt: skip
    return mvt.features_tile(
        "segments",
        rows,
        columns=["id", "code", "seq", "district_id", "line_code", "voltage_kv"],
        geom="geom_4326",
        z=z,
        x=x,
        y=y,
    )


def register_grid_layers() -> None:
    register(
        TileLayer(
            "households",
            households_tile,
            # A transformer area moved to another grid moves its households' grid.
            changed_by=frozenset({"grid.Household", "grid.TransformerArea"}),
        )
    )
    register(TileLayer("segments", segments_tile, changed_by=frozenset({"grid.Segment"})))
