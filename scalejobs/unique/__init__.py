"""Unique jobs: at most one queued or running message per job identity, cluster-wide."""

from __future__ import annotations

import functools

import redis

from ..keys import KeySpace
from ..store import keyspace, redis_client
from .engine import UniqueJobs


def unique_jobs() -> UniqueJobs:
    """Return the engine on the configured Redis and key prefix."""
    return _engine(redis_client(), keyspace("unique"))


@functools.lru_cache(maxsize=4)
def _engine(client: redis.Redis, keys: KeySpace) -> UniqueJobs:
    return UniqueJobs(client, keys)
