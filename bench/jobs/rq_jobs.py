"""Jobs of the side-by-side benchmark for RQ workers (``rq worker``); the Redis URL comes from ``REDIS_URL``."""

import os
import time

import redis

_client: list[redis.Redis] = []


def noop() -> None:
    """Do nothing."""


def incr() -> None:
    """Make one Redis round trip, as a real job touches a store."""
    _redis().incr("bench:counter")


def started(due: float, key: str) -> None:
    """Push how late (s) this job started after ``due`` (a ``time.time()``) onto ``key``."""
    begun = time.time()
    _redis().rpush(key, begun - due)


def _redis() -> redis.Redis:
    if not _client:
        _client.append(redis.Redis.from_url(os.environ["REDIS_URL"]))
    return _client[0]
