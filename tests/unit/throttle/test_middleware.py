"""The Throttle middleware on a stub broker and a real Redis."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from dramatiq.middleware import SkipMessage

import scalejobs
from scalejobs import Concurrency, Window
from scalejobs.errors import JobOptionError
from scalejobs.keys import KeySpace
from scalejobs.throttle.engine import Throttles
from tests.conftest import wait_for
from tests.unit.unique.stack import Stack


class Gauge:
    """Count jobs running at once, and the most ever seen."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def test_a_throttled_job_without_retries_still_runs_every_time(stack: Stack) -> None:
    gauge = Gauge()

    @stack.job(throttle=Concurrency(1), max_retries=0)
    def call_partner(n: int) -> None:
        with gauge:
            time.sleep(0.03)
        stack.note(n)

    for n in range(6):
        call_partner.send(n)
    stack.start(threads=4)
    stack.join()
    assert sorted(stack.ran) == list(range(6))
    assert gauge.most == 1
    assert stack.broker.dead_letters == []
    assert stack.throttle.engine.usage()[0].throttled > 0


def test_a_threads_next_job_with_the_same_limiter_takes_over_its_slot_without_redis(stack: Stack) -> None:
    engine = stack.throttle.engine
    acquires = []
    original = engine.acquire
    engine.acquire = lambda claims, holder, **options: acquires.append(holder) or original(claims, holder, **options)  # type: ignore[method-assign]

    @stack.job(throttle=Concurrency(1))
    def step(n: int) -> None:
        stack.note(n)

    for n in range(5):
        step.send(n)
    stack.start(threads=1)
    stack.join()
    assert stack.ran == list(range(5))
    assert 1 <= len(acquires) < 5
    assert engine.usage()[0].in_use == 0  # given back once the thread had nothing more for it


def test_a_postponed_job_does_not_hold_a_worker_thread(stack: Stack) -> None:
    @stack.job(throttle=Window(1, per=0.5))
    def limited(n: int) -> None:
        stack.note(f"limited-{n}")

    @stack.job()
    def free() -> None:
        stack.note("free")

    limited.send(1)
    limited.send(2)
    free.send()
    stack.start(threads=1)
    stack.join()
    assert stack.ran == ["limited-1", "free", "limited-2"]


def test_after_max_postponements_a_throttled_job_uses_a_retry_and_each_retry_gets_max_postponements_again(
    stack: Stack, settings, redis_db: redis.Redis
) -> None:
    settings.SCALEJOBS = {"THROTTLE": {"BACKOFF": 0.01, "MAX_BACKOFF": 0.02, "MAX_POSTPONEMENTS": 2}}
    limiter = Concurrency(1, key="blocked")
    stack.throttle.engine.acquire([limiter.claim("")], "someone-else")

    @stack.job(throttle=limiter, max_retries=1)
    def blocked() -> None:
        stack.note("ran")

    blocked.send()
    stack.start()
    stack.join()
    assert stack.ran == []
    (dead,) = stack.broker.dead_letters
    assert dead.options["retries"] == 2  # both attempts given to Retries
    (row,) = stack.throttle.engine.usage()
    # Two attempts (the first and its one retry), each refused three times: postponed twice, then handed
    # to Retries. Were the count not started over, the retry would go to Retries at its first refusal (4).
    assert row.throttled == 2 * 3


def test_a_failing_job_gives_its_slot_back(stack: Stack) -> None:
    @stack.job(throttle=Concurrency(1), max_retries=0)
    def fails() -> None:
        raise RuntimeError("boom")

    fails.send()
    stack.start()
    stack.join()
    assert all(row.in_use == 0 for row in stack.throttle.engine.usage())


def test_a_job_skipped_by_a_later_middleware_gives_its_slot_back(stack: Stack) -> None:
    class DropAll:
        actor_options: set[str] = set()

        def __getattr__(self, name: str):
            return lambda *args, **kwargs: None

        def before_process_message(self, broker, message) -> None:
            raise SkipMessage("dropped")

    stack.broker.middleware.append(DropAll())

    @stack.job(throttle=Concurrency(1))
    def dropped() -> None:
        stack.note("ran")

    dropped.send()
    stack.start()
    stack.join()
    assert stack.ran == []
    (row,) = stack.throttle.engine.usage()
    assert row.in_use == 0 and row.throttled == 0


def test_redis_down_fails_the_attempt_instead_of_running_unlimited(stack: Stack) -> None:
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    stack.throttle._engine = Throttles(down, KeySpace("test", "throttle"))

    @stack.job(throttle=Concurrency(1), max_retries=0)
    def guarded() -> None:
        stack.note("ran")

    guarded.send()
    stack.start()
    stack.join()
    assert stack.ran == []
    assert len(stack.broker.dead_letters) == 1


def test_a_postponed_unique_job_keeps_its_lock_until_it_runs(stack: Stack) -> None:
    limiter = Concurrency(1, key="gate")
    stack.throttle.engine.acquire([limiter.claim("")], "gatekeeper")

    @stack.job(throttle=limiter, unique_for=60)
    def export(account: int) -> None:
        stack.note(account)

    message = export.send(7)
    stack.start()
    wait_for(lambda: any(row.throttled >= 2 for row in stack.throttle.engine.usage()))
    assert stack.ran == [] and message.options["scalejobs_unique"]
    with pytest.raises(scalejobs.DuplicateJob):
        export.send(7)
    stack.throttle.engine.release([limiter.claim("")], "gatekeeper")
    stack.join()
    assert stack.ran == [7]
    export.send(7)


def test_a_long_job_keeps_its_slot_past_the_lock_timeout(stack: Stack) -> None:
    gauge = Gauge()

    @stack.job(throttle=Concurrency(1, lock_timeout=0.3))
    def long(n: int) -> None:
        with gauge:
            time.sleep(1.0)

    long.send(1)
    long.send(2)
    stack.start(threads=2)
    stack.join()
    assert gauge.most == 1


def test_a_throttle_that_is_not_a_limiter_fails_at_decoration(stack: Stack) -> None:
    with pytest.raises(JobOptionError, match=r"throttle must be a limiter .* got '5/min'"):

        @stack.job(throttle="5/min")
        def job() -> None: ...


def test_a_message_can_bypass_its_throttle(stack: Stack) -> None:
    limiter = Concurrency(1, key="shut")
    stack.throttle.engine.acquire([limiter.claim("")], "holder")

    @stack.job(throttle=limiter)
    def urgent() -> None:
        stack.note("ran")

    urgent.send_with_options(throttle=False)
    stack.start()
    stack.join()
    assert stack.ran == ["ran"]


def test_within_limit_holds_a_place_for_a_block_of_code(redis_db: redis.Redis) -> None:
    limiter = Concurrency(1, key="partner-api")
    with scalejobs.within_limit(limiter):
        with pytest.raises(scalejobs.OverLimit, match="concurrency:partner-api: over its limit of 1"):
            with scalejobs.within_limit(limiter, wait=0.1):
                pass
    with scalejobs.within_limit(limiter):
        pass


def test_within_limit_needs_a_key() -> None:
    with pytest.raises(ValueError, match="needs a key"):
        with scalejobs.within_limit(Window(1, per=1)):
            pass
