"""Throttles: limits on how many jobs run at once, or start per period, cluster-wide."""

from __future__ import annotations

import functools

import dramatiq
import redis

from ..keys import KeySpace
from ..store import keyspace, redis_client
from .engine import Claim, Throttles

__all__ = ["Claim", "Throttles", "held_slots", "throttles"]


def throttles() -> Throttles:
    """Return the engine on the configured Redis and key prefix."""
    return _engine(redis_client(), keyspace("throttle"))


@functools.lru_cache(maxsize=4)
def _engine(client: redis.Redis, keys: KeySpace) -> Throttles:
    return Throttles(client, keys)


def held_slots(broker: dramatiq.Broker) -> list[tuple[tuple[Claim, ...], str]]:
    """Return the concurrency slots this process's ``Throttle`` middleware of ``broker`` holds now, as ``(claims, holder)``."""
    from .middleware import Throttle

    return [holding for middleware in broker.middleware if isinstance(middleware, Throttle) for holding in middleware.keeper.holdings()]
