"""One Redis connection pool per process for Django's cache.

Django keeps a cache object per context; under ASGI every request is a new
context, so every request built a new ``RedisCache``, a new connection pool and
a new TCP connection to Redis (seen as one Redis connection per contact-form
POST: the form throttle uses the cache). Sharing the pool across contexts
reuses the connections. redis-py's pool is thread-safe and resets itself
after a fork.
"""

from __future__ import annotations

import threading

import redis


class ProcessConnectionPool(redis.ConnectionPool):
    _pools: dict[tuple[str, str], redis.ConnectionPool] = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs) -> redis.ConnectionPool:
        key = (url, repr(sorted(kwargs.items())))
        with cls._lock:
            pool = cls._pools.get(key)
            if pool is None:
                pool = cls._pools[key] = super().from_url(url, **kwargs)
            return pool
