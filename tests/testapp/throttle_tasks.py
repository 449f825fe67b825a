"""Throttled jobs the system tests run in real workers; each measures itself in Redis."""

import os
import time

import scalejobs
from scalejobs import Bucket, Concurrency, Window
from scalejobs.store import redis_client

QUEUE = "throttle"
RECORD = "tests:throttle:ran"

# Count this job in, and keep the highest count ever seen; one atomic step.
_ENTER = """
local running = redis.call('INCR', KEYS[1])
if running > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], running) end
return running
"""


def _note(*parts: object) -> None:
    client = redis_client()
    seconds, microseconds = client.time()
    client.rpush(RECORD, "|".join(map(str, (*parts, seconds + microseconds / 1e6, os.getpid()))))


@scalejobs.job(queue_name=QUEUE, throttle=Concurrency(3, key="probe", lock_timeout=5), max_retries=0)
def concurrency_probe(token: str, seconds: float = 0.2) -> None:
    """Run ``seconds`` while counted in ``tests:throttle:running``; the peak goes to ``tests:throttle:most``."""
    client = redis_client()
    client.eval(_ENTER, 2, "tests:throttle:running", "tests:throttle:most")
    try:
        time.sleep(seconds)
    finally:
        client.decr("tests:throttle:running")
    _note("ran", token)


@scalejobs.job(queue_name=QUEUE, throttle=Window(10, per=2), max_retries=0)
def window_probe(token: str) -> None:
    """Record the Redis time of the start."""
    _note("window", token)


@scalejobs.job(queue_name=QUEUE, throttle=[Window(5, per=1), Bucket(8, per=3)], max_retries=0)
def combined_probe(token: str) -> None:
    """Record the Redis time of the start."""
    _note("combined", token)


@scalejobs.job(queue_name=QUEUE, throttle=Concurrency(1, key="kill", lock_timeout=2), max_retries=0, time_limit=120_000)
def slot_holder(token: str) -> None:
    """Take the only ``kill`` slot and hold it far longer than the test lasts."""
    _note("holding", token)
    time.sleep(60)


@scalejobs.job(queue_name=QUEUE, throttle=Concurrency(1, key="kill", lock_timeout=2), max_retries=0)
def slot_follower(token: str) -> None:
    """Run once the ``kill`` slot is free."""
    _note("followed", token)
