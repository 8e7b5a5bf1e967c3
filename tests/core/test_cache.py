"""The shared Redis cache client (core/cache.py): cache objects made per request (Django makes one per
async context) share one connection pool instead of connecting to Redis anew each time."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from buergerbuero.core.cache import SharedRedisCache

URL = "redis://127.0.0.1:6379/15"


def connections_received() -> int:
    return int(redis.Redis.from_url(URL).info("stats")["total_connections_received"])


def per_request(backend: type[RedisCache], requests: int) -> int:
    """New connections Redis accepted while ``requests`` requests each used a cache object of their own."""
    key = f"test-cache-{uuid.uuid4().hex}"
    before = connections_received()
    for n in range(requests):
        cache = backend(URL, {"OPTIONS": {}})
        cache.set(key, n, timeout=30)
        assert cache.get(key) == n
    cache.delete(key)
    return connections_received() - before - 1  # the counting client's own connection


@pytest.fixture(autouse=True)
def needs_redis() -> None:
    try:
        redis.Redis.from_url(URL).ping()
    except redis.ConnectionError:  # pragma: no cover - Redis runs on every machine, CI included
        pytest.fail("Redis at 127.0.0.1:6379 is needed (see docs/architecture.md)")


def test_cache_objects_of_one_process_share_one_connection() -> None:
    assert per_request(RedisCache, 20) >= 20  # Django's own: a connection per request
    assert per_request(SharedRedisCache, 20) <= 1
    first, second = SharedRedisCache(URL, {}), SharedRedisCache(URL, {})
    assert first._cache is second._cache
