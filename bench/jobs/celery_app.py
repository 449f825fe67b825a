"""The Celery side of the dispatch and performance scenarios: the same jobs on Celery's Redis broker.

Run by those scenarios as ``celery -A bench.jobs.celery_app worker``; the
broker URL comes from ``REDIS_URL`` (a ``unix://`` socket becomes kombu's
``redis+socket://``).
"""

import os
import time

import redis
from celery import Celery

QUEUE = "bench"


def broker_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url


app = Celery("bench", broker=broker_url())
app.conf.update(
    task_default_queue=QUEUE,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)
_client: list[redis.Redis] = []


def client() -> redis.Redis:
    if not _client:
        _client.append(redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")))
    return _client[0]


@app.task(name="bench.started")
def started(due: float, key: str) -> None:
    """Push how late (s) this job started after ``due`` (a ``time.time()``) onto ``key``."""
    begun = time.time()
    client().rpush(key, begun - due)


@app.task(name="bench.noop")
def noop() -> None:
    """Do nothing: the throughput job."""


@app.task(name="bench.incr")
def incr() -> None:
    """Make one Redis round trip, as a real job touches a store."""
    client().incr("bench:counter")
