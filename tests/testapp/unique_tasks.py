"""Unique jobs the system tests run in real workers; each records what it did in Redis."""

import os
import time

import scalejobs
from scalejobs.store import redis_client

QUEUE = "unique"
RECORD = "tests:unique:ran"


def _note(*parts: object) -> None:
    redis_client().rpush(RECORD, "|".join(map(str, (*parts, os.getpid()))))


@scalejobs.job(queue_name=QUEUE, unique_for=60, max_retries=0)
def unique_record(token: str) -> None:
    """Record ``token``."""
    _note("ran", token)


@scalejobs.job(queue_name=QUEUE, unique_for=60, max_retries=2, min_backoff=300, max_backoff=600)
def unique_flaky(token: str, failures: int) -> None:
    """Fail the first ``failures`` attempts; at each, check a duplicate send is refused."""
    attempt = redis_client().incr(f"tests:unique:attempts:{token}")
    try:
        unique_flaky.send(token, failures)
        _note("duplicate-accepted", token, attempt)
    except scalejobs.DuplicateJob:
        _note("duplicate-refused", token, attempt)
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails on purpose")
    _note("succeeded", token, attempt)


@scalejobs.job(queue_name=QUEUE, unique_for=60, unique_until="start", max_retries=0, time_limit=60_000)
def unique_until_start(token: str) -> None:
    """Record the start, then run until the test sets ``tests:unique:finish``."""
    _note("started", token)
    deadline = time.monotonic() + 30
    while not redis_client().exists("tests:unique:finish") and time.monotonic() < deadline:
        time.sleep(0.02)
    _note("finished", token)
