"""The tile cache: built tiles (gzipped) in the `tiles` cache (Redis), keyed by what they
were built from, so a change never has to find and delete the tiles it makes stale.

A tile's key holds, for each service grid whose data can be in it, that grid's *version*
for the layer: a counter in the same cache, bumped after a transaction that changed the
layer in that grid commits (`bump_after_commit`, called by the `ledger_changed` receiver).
A tile built before the bump is never read again (its key names the old version); one
built after the bump reads the committed data. Bumping before the commit would let a
concurrent request cache the old data under the new version, hence on_commit.

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
    keys = [_version_key(layer, d) for d in district_ids]
    try:
        found = _cache().get_many(keys)
        missing = [k for k in keys if k not in found]
        for key in missing:
            # add(): if another process created it meanwhile, theirs stands.
            _cache().add(key, time.time_ns(), timeout=None)
        if missing:
            found.update(_cache().get_many(missing))
        return [int(found[k]) for k in keys]
    except Exception:  # a cache outage serves uncached tiles, it does not fail them
        log.warning("tile cache unavailable: serving tiles uncached", exc_info=True)
        return None


def bump(layers: Iterable[str], district_ids: Iterable[int]) -> None:
    cache = _cache()
    for layer in layers:
        for district_id in district_ids:
            key = _version_key(layer, district_id)
            try:
                try:
                    cache.incr(key)
                except ValueError:  # missing: any fresh value differs from every old one
                    cache.set(key, time.time_ns(), timeout=None)
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
