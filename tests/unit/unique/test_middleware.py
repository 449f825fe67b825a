"""The Unique middleware's lifecycle on a stub broker and a real Redis."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
import redis
from dramatiq.middleware import SkipMessage

import scalejobs
from scalejobs.errors import JobOptionError, StoreUnavailable
from scalejobs.keys import KeySpace
from scalejobs.unique.engine import UniqueJobs
from scalejobs.unique.middleware import Unique

from .stack import Stack


def test_a_duplicate_send_raises_duplicate_job_naming_the_holder(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    @stack.job(unique_for=60)
    def export(account: int) -> None: ...

    first = export.send(7)
    with caplog.at_level(logging.INFO, logger="scalejobs.unique"):
        with pytest.raises(scalejobs.DuplicateJob) as caught:
            export.send(7)
    assert caught.value.holder == first.message_id
    assert str(caught.value) == f"{export.actor_name}: not sent, message {first.message_id!r} already holds this job's unique lock."
    assert first.message_id in caplog.text
    assert stack.broker.queues["default"].qsize() == 1


def test_other_arguments_are_another_job(stack: Stack) -> None:
    @stack.job(unique_for=60)
    def export(account: int) -> None: ...

    export.send(1)
    export.send(2)
    assert stack.broker.queues["default"].qsize() == 2


def test_perform_later_returns_none_for_a_duplicate(stack: Stack) -> None:
    @stack.job(unique_for=60, on_commit=False)
    def export(account: int) -> None: ...

    assert export.perform_later(7) is not None
    assert export.perform_later(7) is None


def test_a_per_call_bypass_sends_anyway(stack: Stack) -> None:
    @stack.job(unique_for=60)
    def export(account: int) -> None: ...

    export.send(7)
    export.send_with_options(args=(7,), unique=False)
    assert stack.broker.queues["default"].qsize() == 2


def test_success_releases_the_lock(stack: Stack) -> None:
    @stack.job(unique_for=60)
    def export(account: int) -> None:
        stack.note(account)

    export.send(7)
    stack.start()
    stack.join()
    assert stack.ran == [7]
    export.send(7)


def test_the_lock_is_held_through_retries_and_freed_when_the_job_dies(stack: Stack) -> None:
    attempts = []
    during_retries = []

    @stack.job(unique_for=60, max_retries=2)
    def flaky(account: int) -> None:
        attempts.append(account)
        try:
            flaky.send(account)
        except scalejobs.DuplicateJob:
            during_retries.append("refused")
        raise RuntimeError("partner down")

    flaky.send(7)
    stack.start()
    stack.join()
    assert len(attempts) == 3 and during_retries == ["refused"] * 3
    assert stack.broker.dead_letters and flaky.send(7)


def test_a_retry_keeps_the_lock_and_success_after_failures_frees_it(stack: Stack) -> None:
    attempts = []

    @stack.job(unique_for=60, max_retries=5)
    def flaky(account: int) -> None:
        attempts.append(account)
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    first = flaky.send(7)
    stack.start()
    stack.join()
    assert len(attempts) == 3
    assert stack.unique.engine.holder(first.options["scalejobs_unique"]) is None


def test_unique_until_start_frees_the_lock_as_the_job_starts(stack: Stack) -> None:
    started, finish = threading.Event(), threading.Event()

    @stack.job(unique_for=60, unique_until="start")
    def export(account: int) -> None:
        started.set()
        finish.wait(10)

    export.send(7)
    stack.start(threads=1)  # one thread: the second job waits while the first runs, its lock held
    assert started.wait(10)
    waiting = export.send(7)  # one may wait while one runs
    with pytest.raises(scalejobs.DuplicateJob):
        export.send(7)
    finish.set()
    stack.join()
    assert waiting is not None


def test_a_delayed_job_holds_its_lock_for_the_delay_plus_unique_for(stack: Stack, redis_db: redis.Redis) -> None:
    @stack.job(unique_for=60)
    def export(account: int) -> None: ...

    message = export.send_with_options(args=(7,), delay=dt.timedelta(seconds=30))
    ttl = redis_db.pttl(f"test:unique:lock:{message.options['scalejobs_unique']}")
    assert 89_000 < ttl <= 90_000


def test_a_message_dropped_by_another_middleware_frees_its_lock(stack: Stack) -> None:
    class DropAll:
        actor_options: set[str] = set()

        def __getattr__(self, name: str):  # every other hook is a no-op
            return lambda *args, **kwargs: None

        def before_process_message(self, broker, message) -> None:
            raise SkipMessage("dropped")

    stack.broker.middleware.insert(0, DropAll())

    @stack.job(unique_for=60)
    def export(account: int) -> None:
        stack.note(account)

    export.send(7)
    stack.start()
    stack.join()
    assert stack.ran == []
    export.send(7)


def test_redis_down_at_a_unique_send_raises_and_sends_nothing(stack: Stack) -> None:
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    stack.unique._engine = UniqueJobs(down, KeySpace("test", "unique"))

    @stack.job(unique_for=60)
    def export(account: int) -> None: ...

    with pytest.raises(StoreUnavailable, match="not sent, the unique lock is unreachable"):
        export.send(7)
    assert stack.broker.queues["default"].qsize() == 0


def test_a_failing_unique_key_refuses_the_send(stack: Stack) -> None:
    @stack.job(unique_for=60, unique_key=lambda account: account["id"])
    def export(account: int) -> None: ...

    with pytest.raises(scalejobs.ScalejobsError, match="its unique_key failed"):
        export.send(7)
    assert stack.broker.queues["default"].qsize() == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"unique_for": -1}, "unique_for must be a positive number of seconds or a timedelta, got -1."),
        ({"unique_for": 5, "unique_until": "end"}, "unique_until must be 'success' or 'start', got 'end'."),
    ],
)
def test_invalid_options_fail_at_decoration_with_the_option_name(stack: Stack, options: dict, message: str) -> None:
    with pytest.raises(JobOptionError, match=message):

        @stack.job(**options)
        def export() -> None: ...


def test_the_engine_defaults_to_the_configured_redis_and_prefix() -> None:
    assert Unique().engine.keys == KeySpace("scalejobs", "unique")
