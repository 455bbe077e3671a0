"""Django's Redis cache backend with one client, one connection pool, per process.

Django keeps a cache backend object per thread (``django.core.cache.caches``), and its Redis
backend builds its client and connection pool on that object. Under ASGI every request runs in
a thread of its own, so every request built a new client (which reads the redis package's
version from its metadata), a new pool, and opened a new connection with Redis's handshake
before its first cache read: several milliseconds of CPU, more than a whole cached queue page.
Sessions are read from this cache, so every signed-in request paid it.

Here the client lives at module level, one per server list and options, shared by every
thread of the process (``redis.ConnectionPool`` and ``redis.Redis`` are thread-safe). The
``redis.Redis`` object is kept too: Django builds a new one per operation, about 0.1 ms each.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property

_lock = threading.Lock()
_shared: dict[str, RedisCacheClient] = {}


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's private helpers, which its type stubs leave out
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = base._client(connection_pool=base._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self) -> Any:
        servers: Any = self._servers  # type: ignore[attr-defined]
        options: dict[str, Any] = self._options  # type: ignore[attr-defined]
        key = repr((servers, sorted(options.items())))
        client = _shared.get(key)
        if client is None:
            with _lock:
                client = _shared.get(key)
                if client is None:
                    client = _shared[key] = RedisCacheClient(servers, **options)
        return client
