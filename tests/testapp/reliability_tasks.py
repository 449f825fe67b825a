"""Jobs of the reliability system tests and the chaos suite; each records where and when it ran.

A start is recorded before the work and a run after it: ``starts`` holds
``<message id>|<worker pid>|<master pid>|<time>|<broker id>|<queue>`` per start,
``ran`` the ids that completed, ``runs`` a completion count per id.
"""

import os
import signal
import time

import dramatiq
from dramatiq.middleware import CurrentMessage

import scalejobs
from scalejobs.store import redis_client

STARTS = "tests:reliability:starts"
RAN = "tests:reliability:ran"
RUNS = "tests:reliability:runs"
RELEASE = "tests:reliability:release"
# Long enough that no test waits on a job forever, short of every test's own deadline.
LONGEST_HOLD_SECONDS = 120.0
# Seconds a chaos job's unique lock lives unreleased: the chaos suite waits this long for leaks to lapse.
UNIQUE_FOR = 30


def _start() -> str:
    message = CurrentMessage.get_current_message()
    message_id, queue = (message.message_id, message.queue_name) if message is not None else ("?", "?")
    broker_id = getattr(dramatiq.get_broker(), "broker_id", "")
    redis_client().rpush(STARTS, f"{message_id}|{os.getpid()}|{os.getppid()}|{time.time()!r}|{broker_id}|{queue}")
    return message_id


def _ran(message_id: str) -> None:
    with redis_client().pipeline(transaction=True) as pipe:
        pipe.sadd(RAN, message_id)
        pipe.hincrby(RUNS, message_id, 1)
        pipe.execute()


def _work(seconds: float) -> None:
    message_id = _start()
    time.sleep(seconds)
    _ran(message_id)


@scalejobs.job(max_retries=20, min_backoff=200, max_backoff=2000)
def chaos_plain(number: int, seconds: float) -> None:
    """Work ``seconds``; ``number`` only tells the jobs apart."""
    _work(seconds)


@scalejobs.job(max_retries=20, min_backoff=200, max_backoff=2000, unique_for=UNIQUE_FOR)
def chaos_unique(number: int, seconds: float) -> None:
    """``chaos_plain`` holding a unique lock per number."""
    _work(seconds)


@scalejobs.job(
    max_retries=20, min_backoff=200, max_backoff=2000, throttle=scalejobs.Concurrency(3, lock_timeout=5), queue_name="chaos-throttled"
)
def chaos_throttled(number: int, seconds: float) -> None:
    """``chaos_plain`` holding one of three concurrency slots, on a queue of its own."""
    _work(seconds)


@scalejobs.job(max_retries=0, time_limit=int(LONGEST_HOLD_SECONDS * 2000))
def hold_until_released(token: str) -> None:
    """Start, then wait until a test sets the release key; a stand-in for a long job."""
    message_id = _start()
    deadline = time.monotonic() + LONGEST_HOLD_SECONDS
    while not redis_client().exists(RELEASE) and time.monotonic() < deadline:
        time.sleep(0.05)
    _ran(message_id)


@scalejobs.job(max_retries=0, time_limit=int(LONGEST_HOLD_SECONDS * 2000), throttle=scalejobs.Concurrency(1, lock_timeout=120))
def hold_the_only_slot(token: str) -> None:
    """``hold_until_released`` holding the one slot of a limiter whose dead holders lapse only after 2 minutes."""
    hold_until_released.fn(token)


@scalejobs.job(max_retries=0)
def kill_own_worker(token: str) -> None:
    """Start, then SIGKILL the worker process running it, as an out-of-memory kill would."""
    _start()
    # Die after the process has told Dramatiq's master it booted (a moment after its first job can
    # start): the master waits up to 30 s (its worker fork timeout) for a process that died before.
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)


@scalejobs.job(max_retries=0, time_limit=120_000)
def spin(seconds: float) -> None:
    """Run a pure-Python loop for ``seconds``, holding the GIL but for the interpreter's switches."""
    message_id = _start()
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        count += 1
    _ran(message_id)
