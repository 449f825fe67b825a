"""Run a block of code under a limiter, outside jobs (like Sidekiq's ``within_limit``).

``with within_limit(Concurrency(5, key="partner-api")): call_partner()``
takes a place in the same Redis count that jobs with that limiter use, and
frees a concurrency slot when the block ends. The slot is not renewed here,
so a block must end within the limiter's ``lock_timeout``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..errors import ScalejobsError
from . import throttles
from .limiters import Limiter

# Longest single sleep while waiting for a place, in seconds.
POLL = 0.25


class OverLimit(ScalejobsError):
    """Raised when ``within_limit`` finds no place in a limiter before its ``wait`` runs out."""


@contextlib.contextmanager
def within_limit(limiter: Limiter, *args: Any, wait: float = 0.0, **kwargs: Any) -> Iterator[None]:
    """Hold a place in ``limiter`` for the block, waiting up to ``wait`` seconds for one.

    ``args`` and ``kwargs`` go to the limiter's ``key`` when it is a callable;
    a limiter used here needs a ``key``, since there is no job name to count under.
    """
    if limiter.key is None:
        raise ValueError(f"within_limit: {limiter!r} needs a key, since there is no job name to count under.")
    claim = limiter.claim("", args, kwargs)
    engine = throttles()
    holder = f"block:{uuid.uuid4().hex}"
    deadline = time.monotonic() + wait
    while not (decision := engine.acquire([claim], holder)).admitted:
        left = deadline - time.monotonic()
        if left <= 0:
            raise OverLimit(f"{claim.ident}: over its limit of {claim.limit}.")
        time.sleep(min(left, POLL, decision.wait or POLL))
    try:
        yield
    finally:
        engine.release([claim], holder)
