"""Jobs of the protection system tests; each records when it started and ended, and where."""

import os
import time

import scalejobs
from scalejobs.store import redis_client

STARTED = "tests:protection:started"
FINISHED = "tests:protection:finished"


def _log(key: str, token: str, started: float) -> None:
    redis_client().rpush(key, f"{token}|{started!r}|{time.time()!r}|{os.getpid()}")


@scalejobs.job(max_retries=0)
def blip(token: str) -> None:
    """A short job: record its start and end."""
    started = time.time()
    _log(FINISHED, token, started)


@scalejobs.job(max_retries=0, time_limit=5 * 60 * 1000)
def hold(token: str, seconds: float) -> None:
    """A long job: record its start, sleep, record its end."""
    started = time.time()
    _log(STARTED, token, started)
    time.sleep(seconds)
    _log(FINISHED, token, started)


@scalejobs.job(max_retries=0, time_limit=5 * 60 * 1000, queue_name="protection-elsewhere")
def hold_elsewhere(token: str, seconds: float) -> None:
    """``hold`` on a queue of its own, so a test can choose the worker that runs it."""
    started = time.time()
    _log(STARTED, token, started)
    time.sleep(seconds)
    _log(FINISHED, token, started)


@scalejobs.job(max_retries=0, protect=False)
def unprotected_hold(token: str, seconds: float) -> None:
    """A job that neither takes nor extends ECS protection."""
    started = time.time()
    _log(STARTED, token, started)
    time.sleep(seconds)
    _log(FINISHED, token, started)


@scalejobs.job(max_retries=0, time_limit=3000)
def brief_hold(token: str, seconds: float) -> None:
    """A job whose 3 s time limit fits inside the drain budget: ``protect="auto"`` skips protection."""
    started = time.time()
    _log(STARTED, token, started)
    time.sleep(seconds)
    _log(FINISHED, token, started)


STORM = "tests:protection:storm"


@scalejobs.job(max_retries=0, queue_name="protection-storm")
def storm_job(token: str, seconds: float) -> None:
    """A job of the scale-in storm: record start, end, and the ECS task (agent endpoint) it ran on."""
    task = os.environ.get("ECS_AGENT_URI", "").rsplit("/", 1)[-1]
    client = redis_client()
    started = time.time()
    client.rpush(STORM, f"start|{token}|{task}|{os.getpid()}|{started!r}")
    time.sleep(seconds)
    client.rpush(STORM, f"end|{token}|{task}|{os.getpid()}|{time.time()!r}")
