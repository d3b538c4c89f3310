"""houhu.lib.redis_cache: the project's caches keep one redis-py client per pool (Django
builds one per call), and still talk to the real Redis the suite started."""

from __future__ import annotations

import threading

from django.core.cache import caches


def test_every_call_of_a_cache_reuses_one_client_per_pool():
    cache = caches["tiles"]
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
    cache.set("redis-cache-test", b"\x00bytes", 30)
    assert cache.get("redis-cache-test") == b"\x00bytes"
    assert cache._cache.get_client() is client
    cache.delete("redis-cache-test")


def test_a_shared_client_serves_threads_at_once():
    cache = caches["tiles"]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"redis-cache-{n}-{i}", n * 1000 + i, 30)
                assert cache.get(f"redis-cache-{n}-{i}") == n * 1000 + i
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    cache.delete_many([f"redis-cache-{n}-{i}" for n in range(8) for i in range(50)])
