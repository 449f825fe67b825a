"""Fixtures of the dashboard engine tests: a real Redis, a frozen clock, Dramatiq's own key layout."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import pytest
import redis

from scalejobs.testing.clock import FrozenClock
from scalejobs.dashboard import running
from scalejobs.dashboard.engine import DashboardEngine
from scalejobs.keys import KeySpace
from tests.dramatiq_queues import Queues

HEARTBEAT_SECONDS = 1.0


@pytest.fixture(autouse=True)
def no_running_job() -> Iterator[None]:
    """Forget the job a test registered in this thread, so the next test starts outside one."""
    yield
    running._current.set(None)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(float(int(time.time())))


@pytest.fixture
def engine(redis_db: redis.Redis, clock: FrozenClock) -> DashboardEngine:
    return DashboardEngine(
        redis_db, space=KeySpace("test", "dashboard"), clock=clock, heartbeat_seconds=HEARTBEAT_SECONDS, worker_timeout_seconds=30
    )


@pytest.fixture
def queues(redis_db: redis.Redis) -> Queues:
    return Queues(redis_db)


def args_of(items: Sequence[object]) -> list[list[object]]:
    """Return the args of each message or dead letter, to compare whole pages."""
    return [list(getattr(item, "message", item).args) for item in items]
