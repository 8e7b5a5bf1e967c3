"""Django's Redis cache with one client, and so one connection pool, per process.

Django keeps a cache object per thread and per async context, and every ASGI request runs in a
context of its own; each of those objects built its own ``RedisCacheClient`` with its own
connection pool, so every request opened a new TCP connection to Redis (and redis-py read its
package metadata for the handshake). Profiling the booking storm put a quarter of a worker's time
there. The client is thread-safe and its pool hands out connections per command, so all cache
objects of a process share one, keyed by the servers and options.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

__all__ = ["SharedRedisCache"]

_clients: dict[str, RedisCacheClient] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._shared_key = repr((server, sorted(params.get("OPTIONS", {}).items())))
        self._shared_options: dict[str, Any] = dict(params.get("OPTIONS", {}))
        self._shared_servers = [part for part in re.split("[;,]", server) if part]

    @property
    def _cache(self) -> RedisCacheClient:
        client = _clients.get(self._shared_key)
        if client is None:
            with _lock:
                client = _clients.setdefault(
                    self._shared_key, RedisCacheClient(self._shared_servers, **self._shared_options)
                )
        return client
