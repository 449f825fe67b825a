"""Throttles: limits on how many jobs run at once, or start per period, cluster-wide."""

from __future__ import annotations

import functools

import redis

from ..keys import KeySpace
from ..store import keyspace, redis_client
from .engine import Claim, Throttles

__all__ = ["Claim", "Throttles", "free_slots_of", "throttles"]


def throttles() -> Throttles:
    """Return the engine on the configured Redis and key prefix."""
    return _engine(redis_client(), keyspace("throttle"))


@functools.lru_cache(maxsize=4)
def _engine(client: redis.Redis, keys: KeySpace) -> Throttles:
    return Throttles(client, keys)


def free_slots_of(process: str) -> int:
    """Free every concurrency slot the dead worker process ``process`` (its broker id) held; return how many jobs had some."""
    return throttles().free_owner(process)
