"""Jobs of the side-by-side benchmark for plain Dramatiq workers (``@dramatiq.actor``, no scalejobs options)."""

import time

import dramatiq

QUEUE = "bench"
COUNTER = "bench:counter"


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def plain_noop() -> None:
    """Do nothing."""


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def plain_incr() -> None:
    """Make one Redis round trip."""
    dramatiq.get_broker().client.incr(COUNTER)  # type: ignore[attr-defined]


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def plain_started(due: float, key: str) -> None:
    """Push how late (s) this job started after ``due`` (a ``time.time()``) onto ``key``."""
    begun = time.time()
    dramatiq.get_broker().client.rpush(key, begun - due)  # type: ignore[attr-defined]
