"""Django's Redis cache backend, with one redis-py client per connection pool instead of
one per operation.

Why by hand: Django 5.2's `RedisCacheClient.get_client` builds a new `redis.Redis` for
every cache call, and redis-py 8 fills a table of response callbacks in each: about
200 µs, more than the GET it serves (160 µs on this machine). A request touches the
caches three to six times (the session, the write throttle, tile versions and the tile),
so that was up to a millisecond per request spent building clients. A `redis.Redis` is
safe to share between threads (each command takes a connection from the pool) and its
pool reconnects after a fork, so one per pool is what redis-py itself recommends.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _SharedClient
