"""Sessions kept in PostgreSQL and cached in Redis: Django's cached_db backend, made to
survive Redis being down.

Why: every signed-in request read its session from PostgreSQL, one of the statements that
issue 12 counts on the write path; from the cache it costs none. Why not Django's backend
as it is: it raises when Redis is down while it fills or deletes the cache, and Redis is
also the broker, whose outage must fail no request (docs/operations.md). Here a cache
error falls back to the database. A session deleted (log-out) while Redis is down may still
be cached: cached copies live at most SESSION_CACHE_SECONDS, which bounds that window.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.dispatch import Signal

log = logging.getLogger(__name__)

# Sent with `session_key` when a session is deleted: at log-out, when log-in gives the
# session a new key, and when it is flushed. What is cached per session listens
# (houhu.accounts.reader_cache), so nothing answers to a cookie that no longer signs in.
session_deleted = Signal()


class SessionStore(cached_db.SessionStore):
    def _cache_seconds(self, expiry=None) -> int:
        return min(self.get_expiry_age(expiry=expiry), settings.SESSION_CACHE_SECONDS)

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # an unreachable cache, or a key it refuses: ask the database
            data = None
        if data is not None:
            return data
        s = self._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        try:
            self._cache.set(self.cache_key, data, self._cache_seconds(s.expire_date))
        except Exception as exc:
            log.warning("Session cache unreachable, reading sessions from the database: %s", exc)
        return data

    def save(self, must_create=False):
        # The database first (super of cached_db), then the cache with the bounded lifetime.
        super(cached_db.SessionStore, self).save(must_create)
        try:
            self._cache.set(self.cache_key, self._session, self._cache_seconds())
        except Exception as exc:
            log.warning("Session cache unreachable while saving: %s", exc)

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception as exc:  # the database answers below
            log.warning("Session cache unreachable: %s", exc)
        return super(cached_db.SessionStore, self).exists(session_key)

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        key = session_key or self.session_key
        if key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except Exception as exc:
            log.warning("Session cache unreachable on delete (cached copy expires): %s", exc)
        session_deleted.send(sender=type(self), session_key=key)
