"""Publish this worker process to the dashboard at a steady beat, off the job threads."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from ..clock import Clock
from . import ecs
from .metrics import MinuteCounter
from .queues import Skips
from .running import RunningJobs
from .values import WorkerInfo
from .workers import WorkerBoard

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """What stays true of a worker process while it lives."""

    worker_id: str
    host: str
    pid: int
    queues: tuple[str, ...]
    threads: int
    started_at: float
    ecs_task_arn: str | None

    @classmethod
    def of_this_process(cls, *, queues: Iterable[str], threads: int, clock: Clock) -> Identity:
        """Describe the calling process, asking ECS for its task if it runs in one."""
        return cls(
            worker_id=uuid.uuid4().hex[:12],
            host=socket.gethostname(),
            pid=os.getpid(),
            queues=tuple(sorted(queues)),
            threads=threads,
            started_at=clock(),
            ecs_task_arn=ecs.task_arn(),
        )


class Heartbeat:
    """Beat every ``interval`` seconds on a daemon thread: running jobs, metrics, skips.

    ``skips`` always holds the entries read at the last beat; the middleware
    consults it before each job. A beat that fails is logged and its counts
    kept for the next one: Redis being away must not stop jobs.
    """

    def __init__(
        self,
        *,
        board: WorkerBoard,
        identity: Identity,
        running: RunningJobs,
        counter: MinuteCounter | None,
        clock: Clock,
        interval: float,
        retention_seconds: int,
    ) -> None:
        self.board = board
        self.identity = identity
        self.running = running
        self.counter = counter
        self.clock = clock
        self.interval = interval
        self.retention_seconds = retention_seconds
        self.skips = Skips()
        self.stopping = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scalejobs-dashboard-heartbeat", daemon=True)

    def start(self) -> None:
        """Beat once now (so skips are known before the first job), then keep beating."""
        self.beat()
        self._thread.start()

    def beat(self) -> None:
        """Publish the worker and the counts since the last beat."""
        counts = self.counter.drain() if self.counter else {}
        actors = self.counter.drain_actors() if self.counter else {}
        try:
            self.skips = self.board.beat(self.snapshot(), counts, retention_seconds=self.retention_seconds, actors=actors)
        except redis.RedisError as error:
            if self.counter:
                self.counter.restore(counts)
                self.counter.restore_actors(actors)
            logger.warning("Dashboard heartbeat failed: %s", error)

    def snapshot(self) -> WorkerInfo:
        """Return this worker as the dashboard should see it now."""
        identity = self.identity
        running = self.running.snapshot(worker_id=identity.worker_id, host=identity.host, pid=identity.pid)
        return WorkerInfo(
            worker_id=identity.worker_id,
            host=identity.host,
            pid=identity.pid,
            queues=identity.queues,
            threads=identity.threads,
            started_at=identity.started_at,
            last_heartbeat=self.clock(),
            stopping=self.stopping,
            ecs_task_arn=identity.ecs_task_arn,
            running=running,
        )

    def stop(self) -> None:
        """Stop beating, flush the last counts, and leave the board."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 5)
        self.beat()
        try:
            self.board.leave(self.identity.worker_id)
        except redis.RedisError as error:
            logger.warning("Could not take this worker off the dashboard: %s", error)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:
                # The thread must outlive any bug in one beat; the next may succeed.
                logger.exception("Dashboard heartbeat crashed; beating on")
