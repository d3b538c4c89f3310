"""The tile cache: built tiles (gzipped) in the `tiles` cache (Redis), with what they were
built from, so a change never has to find and delete the tiles it makes stale.

A tile is stored with, for each service grid whose data can be in it, that grid's
*version* for the layer: a counter in the same cache, bumped after a transaction that
changed the layer in that grid commits (`bump_after_commit`, called by the
`ledger_changed` receiver). A tile stored under older versions is never served again
(`lookup` compares); one built after the bump reads the committed data. Bumping before the
commit would let a concurrent request cache the old data under the new version, hence
on_commit. Map tiles keep the versions in the value (`lookup`/`store`: the versions and
the tile in one round trip); the cached GeoJSON layers put them in the key (`get`/`put`).

Why not the outbox: the bump is not background work that may wait for a relay; the
workspace redraws its tiles right after the staff member's own write. If Redis is down at
that instant the bump is lost, but then no tile is cached or served from the cache
either; a blip between the commit and the bump is bounded by the entry's lifetime
(HOUHU_TILE_CACHE_SECONDS).

A missing version (never bumped, or evicted) is created as the current time in
nanoseconds, never 0: an evicted counter must not come back to a number that old tiles
were keyed under.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

log = logging.getLogger(__name__)

ALIAS = "tiles"


def _cache():
    return caches[ALIAS]


def _version_key(layer: str, district_id: int) -> str:
    return f"v:{layer}:{district_id}"


def versions(layer: str, district_ids: Sequence[int]) -> list[int] | None:
    """The layer's version in each grid (created if missing); None if the cache is down."""
    try:
        return _current_versions(layer, district_ids, ())[0]
    except Exception:  # a cache outage serves uncached tiles, it does not fail them
        log.warning("tile cache unavailable: serving tiles uncached", exc_info=True)
        return None


def _current_versions(
    layer: str, district_ids: Sequence[int], also: Sequence[str]
) -> tuple[list[int], dict]:
    return counters([_version_key(layer, d) for d in district_ids], also)


def counters(keys: Sequence[str], also: Sequence[str] = ()) -> tuple[list[int], dict]:
    """The counters under `keys` in this cache (the tiles' versions, the map readers'
    generation, houhu.accounts.reader_cache), each created if missing, and the values of
    the keys `also`: one round trip when every counter exists. Raises when the cache is
    unreachable."""
    found = _cache().get_many([*keys, *also])
    missing = [k for k in keys if k not in found]
    for key in missing:
        # add(): if another process created it meanwhile, theirs stands.
        _cache().add(key, time.time_ns(), timeout=None)
    if missing:
        found.update(_cache().get_many(missing))
    return [int(found[k]) for k in keys], {k: found.get(k) for k in also}


def bump_counter(key: str) -> None:
    """One more on a counter of `counters`; raises when the cache is unreachable."""
    try:
        _cache().incr(key)
    except ValueError:  # missing: any fresh value differs from every old one
        _cache().set(key, time.time_ns(), timeout=None)


def lookup(layer: str, district_ids: Sequence[int], entry: str) -> tuple[list[int] | None, Any]:
    """The layer's versions in the grids and what is `store`d under `entry` if it was
    stored under exactly those versions, in ONE round trip (a cached map tile then costs
    two with the reader's, houhu.grid.tiles). (None, None) if the cache is unreachable.

    The entry's key does not hold the versions, its value does: a grid's bump makes it
    stale in place (the next build overwrites it) instead of leaving it to expire."""
    key = f"t:{entry}"
    try:
        versions, found = _current_versions(layer, district_ids, [key])
    except Exception:  # a cache outage serves uncached tiles, it does not fail them
        log.warning("tile cache unavailable: serving tiles uncached", exc_info=True)
        return None, None
    stored = found[key]
    # A version just created is new to every entry (the current time, see above).
    if stored is None or list(stored[0]) != versions:
        return versions, None
    return versions, stored[1]


def store(entry: str, versions: Sequence[int], value: Any) -> None:
    """Keep `value` under `entry` as built from `versions` read BEFORE it was built (a
    change committed meanwhile bumped them, and `lookup` then no longer returns it)."""
    seconds = settings.HOUHU_TILE_CACHE_SECONDS
    if seconds <= 0:
        return
    try:
        _cache().set(f"t:{entry}", (list(versions), value), timeout=seconds)
    except Exception:
        log.warning("tile cache unavailable", exc_info=True)


def bump(layers: Iterable[str], district_ids: Iterable[int]) -> None:
    for layer in layers:
        for district_id in district_ids:
            key = _version_key(layer, district_id)
            try:
                bump_counter(key)
            except Exception:
                log.warning("tile cache unavailable: version %s not bumped", key, exc_info=True)


def bump_after_commit(layers: Iterable[str], district_ids: Iterable[int]) -> None:
    # A change may concern no grid (None: e.g. a report placed nowhere yet).
    layers = sorted(set(layers))
    district_ids = sorted({int(d) for d in district_ids if d is not None})
    if layers and district_ids:
        transaction.on_commit(lambda: bump(layers, district_ids))


def key(*parts: object) -> str:
    """A short key (and ETag) for a tile: a digest of everything it was built from."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def holds_current(request: HttpRequest, tile_key: str) -> bool:
    """The browser's copy is the one under this key (answer 304: the key is the ETag)."""
    return request.headers.get("If-None-Match") == f'"{tile_key}"'


def revalidated(response: HttpResponse, tile_key: str | None) -> HttpResponse:
    """The answer's caching headers, for tiles and cached layers alike. private: what is in
    it depends on who asks; no-cache: the browser revalidates (ETag) before every reuse, so
    a redraw after a write shows the write."""
    response["Cache-Control"] = "private, no-cache"
    if tile_key:
        response["ETag"] = f'"{tile_key}"'
    patch_vary_headers(response, ["Accept-Encoding", "Cookie"])
    return response


def get(tile_key: str) -> bytes | None:
    try:
        return _cache().get(f"t:{tile_key}")
    except Exception:
        log.warning("tile cache unavailable", exc_info=True)
        return None


def put(tile_key: str, data: bytes) -> None:
    seconds = settings.HOUHU_TILE_CACHE_SECONDS
    if seconds <= 0:
        return
    try:
        _cache().set(f"t:{tile_key}", data, timeout=seconds)
    except Exception:
        log.warning("tile cache unavailable", exc_info=True)


def clear() -> None:
    """Forget every tile and version (tests; after restoring a database backup)."""
    _cache().clear()
