"""Jobs of the side-by-side benchmark for scalejobs workers: no options, ``unique_for``, ``Concurrency(1000)``.

``*_started`` jobs push how late they started onto a Redis list;
``*_incr`` jobs make one Redis round trip (an ``INCR``), as a real job
touches a store; the others do nothing. Plain Dramatiq's twins are in
``bench/jobs/performance_plain.py``, Celery's in ``bench/jobs/celery_app.py``,
RQ's in ``bench/jobs/rq_jobs.py``.
"""

import time

import scalejobs
from scalejobs import Concurrency
from scalejobs.store import redis_client

QUEUE = "bench"
# The counter every ``*_incr`` job of every system increments.
COUNTER = "bench:counter"
# Never full: the benchmark measures the cost of taking and freeing a slot, not of waiting for one.
SLOTS = Concurrency(1000, key="bench")


def _report(due: float, key: str) -> None:
    redis_client().rpush(key, time.time() - due)


@scalejobs.job(queue_name=QUEUE, max_retries=0)
def perf_noop() -> None:
    """Do nothing."""


@scalejobs.job(queue_name=QUEUE, max_retries=0, unique_for=3600)
def perf_unique_noop(n: int) -> None:
    """Do nothing, holding a unique lock."""


@scalejobs.job(queue_name=QUEUE, max_retries=0, throttle=SLOTS)
def perf_concurrency_noop() -> None:
    """Do nothing, holding a concurrency slot."""


@scalejobs.job(queue_name=QUEUE, max_retries=0)
def perf_incr() -> None:
    """Make one Redis round trip."""
    redis_client().incr(COUNTER)


@scalejobs.job(queue_name=QUEUE, max_retries=0, unique_for=3600)
def perf_unique_incr(n: int) -> None:
    """``perf_incr``, holding a unique lock."""
    redis_client().incr(COUNTER)


@scalejobs.job(queue_name=QUEUE, max_retries=0, throttle=SLOTS)
def perf_concurrency_incr() -> None:
    """``perf_incr``, holding a concurrency slot."""
    redis_client().incr(COUNTER)


@scalejobs.job(queue_name=QUEUE, max_retries=0)
def perf_started(due: float, key: str) -> None:
    """Push how late (s) this job started after ``due`` (a ``time.time()``) onto ``key``."""
    _report(due, key)


@scalejobs.job(queue_name=QUEUE, max_retries=0, unique_for=3600)
def perf_unique_started(due: float, key: str) -> None:
    """``perf_started``, holding a unique lock."""
    _report(due, key)


@scalejobs.job(queue_name=QUEUE, max_retries=0, throttle=SLOTS)
def perf_concurrency_started(due: float, key: str) -> None:
    """``perf_started``, holding a concurrency slot."""
    _report(due, key)
