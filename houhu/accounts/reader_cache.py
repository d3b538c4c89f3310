"""Who a signed-in map reader is, cached per session: so that a map tile already built is
served from Redis without loading the session, the user or their grids from PostgreSQL
(houhu.grid.tiles). A station's map asks for dozens of tiles per pan; each of them
otherwise paid for the session, the user and two statements on the grids before it found
its tile in the cache (5.6 ms against 1.5 ms for a hello-world request, docs/benchmarks.md
M3).

An entry is written only after a request went the whole way (session, user, permissions)
and only for someone who reads the staff map. It is keyed by a digest of the session
cookie, so it answers only to the browser that holds that session, and it holds the
user's id, the grids they read and their row of `scopes.PERSONAL_DATA`: what a tile's
cache key is made of.

It never outlives what it was read from:
- the session: the entry lives at most SESSION_CACHE_SECONDS (what a cached session may
  outlive its deletion by, houhu.lib.sessions) and never past the session's expiry, and a
  deleted session (log-out, a new key at log-in, expiry) deletes it (`session_deleted`);
- the user and the grids: every entry carries the *generation* it was read under, and a
  saved or deleted user, grid or station (a role, a station, a grid's manager or boundary,
  a deactivated account, a new password) bumps the generation, at once and again after the
  commit, so no entry read before the change counts after it (the generation is read
  before the rows it guards: an entry read from the old rows has an old generation);
- Redis down or the entry evicted: the request goes the whole way, as before.

Why not a signed token in the tile URL: it would have to be renewed in the page, and a
leaked URL would carry it; the cookie is already what the browser sends with every tile.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest

from houhu.lib import tilecache
from houhu.lib.sessions import session_deleted

log = logging.getLogger(__name__)

# Kept in the tiles' cache: one round trip reads the generation, the reader and the
# tile's own entries (houhu.grid.tiles), and clearing the tiles clears these too; the
# generation is a counter like the tiles' versions (tilecache.counters).
GENERATION_KEY = "reader:gen"


@dataclass(frozen=True)
class Reader:
    user_id: int
    district_ids: tuple[int, ...]
    personal_data: tuple[str, ...]


def _cache():
    return caches[tilecache.ALIAS]


def _entry_key(session_key: str) -> str:
    # A digest: the session key itself is a bearer secret, kept out of another cache.
    digest = hashlib.blake2b(session_key.encode(), digest_size=16).hexdigest()
    return f"reader:s:{digest}"


def _session_key(request: HttpRequest) -> str | None:
    return request.COOKIES.get(settings.SESSION_COOKIE_NAME) or None


def recall(request: HttpRequest, extra_keys: Sequence[str] = ()) -> tuple[Reader, int, dict]:
    """The reader of this request's session as cached, the current generation and those
    of `extra_keys` that hold a value stored under it (`store`), in one round trip.
    Raises LookupError when there is no current entry (no cookie, none cached, an older
    generation, Redis unreachable)."""
    session_key = _session_key(request)
    if session_key is None:
        raise LookupError("no session")
    entry_key = _entry_key(session_key)
    try:
        found = _cache().get_many([GENERATION_KEY, entry_key, *extra_keys])
    except Exception:
        log.warning("reader cache unavailable", exc_info=True)
        raise LookupError("cache unavailable") from None
    generation, entry = found.pop(GENERATION_KEY, None), found.pop(entry_key, None)
    if generation is None or entry is None or entry[0] != generation:
        raise LookupError("no current entry")
    current = {k: v[1] for k, v in found.items() if v[0] == generation}
    return Reader(*entry[1:]), generation, current


def stored(key: str, generation: int | None) -> Any:
    """A value `store`d under this generation, or None."""
    if generation is None:
        return None
    try:
        entry = _cache().get(key)
    except Exception:
        log.warning("reader cache unavailable", exc_info=True)
        return None
    return entry[1] if entry is not None and entry[0] == generation else None


def store(key: str, value: Any, generation: int | None, seconds: int) -> None:
    """Keep a value read from users, grids or stations under the generation read before
    it (e.g. the grids near a map tile): it stops counting with the next change."""
    if generation is None:
        return
    try:
        _cache().set(key, (generation, value), timeout=seconds)
    except Exception:
        log.warning("reader cache unavailable", exc_info=True)


def generation() -> int | None:
    """The current generation (created if missing); None if the cache is unreachable.
    Read it BEFORE reading what an entry will hold."""
    try:
        return tilecache.counters([GENERATION_KEY])[0][0]
    except Exception:
        log.warning("reader cache unavailable", exc_info=True)
        return None


def remember(request: HttpRequest, reader: Reader, read_under: int | None) -> None:
    """Store the reader of this request's session, read under generation `read_under`."""
    session_key = _session_key(request)
    session = getattr(request, "session", None)
    if read_under is None or session_key is None or session is None:
        return
    if session.session_key != session_key:
        return  # the session was replaced during this request: the cookie names the old one
    seconds = min(settings.SESSION_CACHE_SECONDS, session.get_expiry_age())
    if seconds <= 0:
        return
    try:
        _cache().set(
            _entry_key(session_key),
            (read_under, reader.user_id, tuple(reader.district_ids), tuple(reader.personal_data)),
            timeout=seconds,
        )
    except Exception:
        log.warning("reader cache unavailable", exc_info=True)


def forget_session(session_key: str) -> None:
    try:
        _cache().delete(_entry_key(session_key))
    except Exception:
        # Its lifetime bounds it, as it bounds the session's own cached copy.
        log.warning("reader cache unavailable: entry of a deleted session kept", exc_info=True)


def bump() -> None:
    try:
        tilecache.bump_counter(GENERATION_KEY)
    except Exception:
        log.warning("reader cache unavailable: generation not bumped", exc_info=True)


def bump_now_and_after_commit() -> None:
    """At once (no entry read before this point counts any more), and after the commit (an
    entry read meanwhile from the rows as they were before the commit stops counting)."""
    bump()
    transaction.on_commit(bump)


# --- receivers (AccountsConfig.ready) ----------------------------------------------------


def _on_saved(sender: Any, update_fields=None, **kwargs: Any) -> None:
    # A log-in records its time on the user (update_fields={"last_login"}): no one's
    # grids or rights changed.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    bump_now_and_after_commit()


def _on_deleted(sender: Any, **kwargs: Any) -> None:
    bump_now_and_after_commit()


def _on_session_deleted(sender: Any, session_key: str, **kwargs: Any) -> None:
    forget_session(session_key)


def connect() -> None:
    """What a reader's entry is read from: the user (role, station, county, activity,
    password), the grids (manager, station, boundary) and the stations (county)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from houhu.grid.models import District, Station

    for model in (get_user_model(), District, Station):
        uid = f"reader_cache:{model._meta.label}"
        post_save.connect(_on_saved, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_on_deleted, sender=model, dispatch_uid=uid + ":delete")
    session_deleted.connect(_on_session_deleted, dispatch_uid="reader_cache:session")
