"""A Dramatiq stub broker with the scalejobs throttle and unique middleware on a real Redis."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Retries

import scalejobs
from scalejobs.keys import KeySpace
from scalejobs.throttle.engine import Throttles
from scalejobs.throttle.middleware import Throttle
from scalejobs.unique.engine import UniqueJobs
from scalejobs.unique.middleware import Unique


@dataclass
class Stack:
    """The broker, its two scalejobs middleware, and a record of what jobs did."""

    broker: StubBroker
    throttle: Throttle
    unique: Unique
    ran: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    worker: dramatiq.Worker | None = None

    def job(self, **options: Any) -> Callable[[Callable[..., Any]], scalejobs.Job]:
        """Declare a job on this broker under a fresh name."""
        return scalejobs.job(broker=self.broker, actor_name=f"job_{uuid.uuid4().hex[:8]}", **options)

    def note(self, value: Any) -> None:
        with self.lock:
            self.ran.append(value)

    def start(self, threads: int = 4) -> dramatiq.Worker:
        self.worker = dramatiq.Worker(self.broker, worker_timeout=20, worker_threads=threads)
        self.worker.start()  # emits worker_boot, which starts the slot keeper, as rundramatiq does
        return self.worker

    def join(self, queue: str = "default") -> None:
        """Wait until the queue is processed and every release queued for it is sent."""
        self.broker.join(queue, fail_fast=False, timeout=30_000)
        if self.worker is not None:
            self.worker.join()
        assert self.unique.flush() and self.throttle.flush()


@pytest.fixture
def stack(redis_db: redis.Redis, settings: Any) -> Iterator[Stack]:
    settings.SCALEJOBS = {"THROTTLE": {"BACKOFF": 0.02, "MAX_BACKOFF": 0.1}}
    throttle = Throttle(engine=Throttles(redis_db, KeySpace("test", "throttle")))
    unique = Unique(engine=UniqueJobs(redis_db, KeySpace("test", "unique")))
    broker = StubBroker(middleware=[AgeLimit(), Retries(min_backoff=10, max_backoff=40), throttle, unique])
    broker.emit_after("process_boot")
    built = Stack(broker=broker, throttle=throttle, unique=unique)
    yield built
    if built.worker is not None:
        built.worker.stop()
    broker.close()
