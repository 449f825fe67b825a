"""Unique jobs: at most one queued or running message per job identity, cluster-wide."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import redis

from ..keys import KeySpace
from ..store import keyspace, redis_client
from .engine import UniqueJobs
from .policy import MARK

__all__ = ["UniqueJobs", "release_lock", "unique_jobs"]


def unique_jobs() -> UniqueJobs:
    """Return the engine on the configured Redis and key prefix."""
    return _engine(redis_client(), keyspace("unique"))


@functools.lru_cache(maxsize=4)
def _engine(client: redis.Redis, keys: KeySpace) -> UniqueJobs:
    return UniqueJobs(client, keys)


def release_lock(message_id: str, options: Mapping[str, Any]) -> bool:
    """Release the lock the message ``message_id`` (with message options ``options``) holds, if any; tell whether one went.

    For a message removed by hand (the admin): its lock must not keep other
    sends out until it expires. A lock another message holds now is left alone.
    """
    digest = options.get(MARK)
    if not digest:
        return False
    return unique_jobs().release(digest, message_id)
