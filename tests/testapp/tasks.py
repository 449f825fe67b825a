"""Jobs the system tests run in real workers; each records what it did in Redis."""

import os
import time

import scalejobs
from scalejobs.store import redis_client

RECORD = "tests:ran"


@scalejobs.job(max_retries=0)
def record(token: str, payload: object = None) -> None:
    """Push ``token`` onto the ``tests:ran`` list, with the worker's pid."""
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")


@scalejobs.job(max_retries=0, time_limit=10 * 60 * 1000)
def sleep_then_record(token: str, seconds: float) -> None:
    """Sleep, then record ``token``: a stand-in for a long export."""
    time.sleep(seconds)
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")

# The dashboard, dispatch, unique and throttle slices' test jobs, declared wherever this module is.
from . import batch_tasks, dashboard_tasks, dispatch_tasks, encryption_tasks, performance_tasks, protection_tasks, reliability_tasks, throttle_tasks, unique_tasks  # noqa: E402, F401
