"""Jobs the dashboard's system and browser tests run in real workers."""

import os
import time

import scalejobs
from scalejobs.store import redis_client

from .tasks import RECORD

# While this key exists, ``fail_while_broken`` fails.
BROKEN = "tests:dashboard:broken"


def release_key(token: str) -> str:
    """Name the key that lets ``crawl(token, ...)`` finish."""
    return f"tests:dashboard:release:{token}"


@scalejobs.job(max_retries=0, time_limit=5 * 60 * 1000)
def crawl(token: str, total: int) -> None:
    """Report progress one step at a time, and finish once the test releases it."""
    done = 0
    while not redis_client().exists(release_key(token)):
        done = min(total, done + 1)
        scalejobs.progress(done, total, f"step {done}")
        time.sleep(0.05)
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")


@scalejobs.job(max_retries=0)
def fail(token: str) -> None:
    """Fail at once, so the message is dead-lettered."""
    raise ValueError(f"failing on purpose: {token}")


@scalejobs.job(max_retries=0)
def fail_while_broken(token: str) -> None:
    """Fail while the test keeps the ``BROKEN`` key; record ``token`` once it is fixed."""
    if redis_client().exists(BROKEN):
        raise RuntimeError(f"partner API down for {token}")
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")
