"""Jobs of the dispatch scenario, for Dramatiq workers (``bench/jobs/celery_app.py`` has Celery's twins)."""

import time

import dramatiq

QUEUE = "bench"


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def bench_started(due: float, key: str) -> None:
    """Push how late (s) this job started after ``due`` (a ``time.time()``) onto ``key``."""
    started = time.time()
    dramatiq.get_broker().client.rpush(key, started - due)  # type: ignore[attr-defined]


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def bench_noop() -> None:
    """Do nothing: the throughput job."""
