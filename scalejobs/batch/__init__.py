"""Batches: a group of jobs tracked as one, with callbacks that run exactly once.

``Batch`` (``handle.py``) is the public face; ``BatchEngine`` (``engine.py``)
keeps the counts in Redis; the ``Batches`` middleware (``middleware.py``)
marks, counts and settles each job of a batch in the workers.
"""

from __future__ import annotations

import functools

import redis

from ..conf import get_settings
from ..keys import KeySpace
from ..store import redis_client
from .engine import BatchEngine, BatchStatus, DeadJob
from .handle import Batch, BatchClosed, BatchNotOpen

__all__ = ["Batch", "BatchClosed", "BatchEngine", "BatchNotOpen", "BatchStatus", "DeadJob", "engine_from_settings"]


def engine_from_settings() -> BatchEngine:
    """Return the batch engine on the configured Redis and key prefix."""
    settings = get_settings()
    return _engine(redis_client(), settings.key_prefix, settings.batch.expiry_days * 86400)


@functools.lru_cache(maxsize=8)
def _engine(client: redis.Redis, prefix: str, expiry_seconds: float) -> BatchEngine:
    return BatchEngine(client, KeySpace(prefix, "batch"), expiry_seconds=expiry_seconds)
