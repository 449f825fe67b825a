"""Values the dashboard engine hands to views, the status command and other slices.

Times are seconds since the epoch (floats); counts are ints. Nothing here
touches Redis, Django or Dramatiq.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..kernel.dead_letters import Failure

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """What a running job last said about its progress via ``scalejobs.progress()``."""

    done: float
    total: float | None
    message: str
    updated_at: float

    @property
    def percent(self) -> float | None:
        """Return the share done in percent (0..100), or ``None`` when the total is unknown."""
        if not self.total:
            return None
        return max(0.0, min(100.0, 100.0 * self.done / self.total))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningJob:
    """A job in flight on some worker, as of that worker's last heartbeat."""

    message_id: str
    queue: str
    actor: str
    args: Sequence[Any]
    kwargs: dict[str, Any]
    started_at: float
    progress: Progress | None
    worker_id: str
    host: str
    pid: int

    def elapsed(self, now: float) -> float:
        """Return the seconds since the job started."""
        return max(0.0, now - self.started_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerInfo:
    """One worker process, as of its last heartbeat."""

    worker_id: str
    host: str
    pid: int
    queues: tuple[str, ...]
    threads: int
    started_at: float
    last_heartbeat: float
    # Whether the process received its stop signal and is finishing its jobs.
    stopping: bool = False
    ecs_task_arn: str | None = None
    running: tuple[RunningJob, ...] = ()

    @property
    def busy(self) -> int:
        """Return how many of its threads run a job."""
        return len(self.running)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSummary:
    """The counts of one Dramatiq queue."""

    name: str
    ready: int
    delayed: int
    # Fetched by a worker (prefetched or running) but not yet acknowledged.
    in_flight: int
    dead: int
    oldest_enqueued_at: float | None

    def latency(self, now: float) -> float:
        """Return how long the oldest ready message has waited, in seconds (0 when empty)."""
        if self.oldest_enqueued_at is None:
            return 0.0
        return max(0.0, now - self.oldest_enqueued_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMessage:
    """A message stored in a Dramatiq queue, delay queue or dead-letter queue."""

    redis_id: str
    message_id: str
    queue: str
    actor: str
    args: Sequence[Any]
    kwargs: dict[str, Any]
    created_at: float
    enqueued_at: float
    eta: float | None
    retries: int
    # The traceback of the previous failed attempt, kept by Dramatiq's Retries.
    traceback: str
    # Every message option, for other slices' marks (e.g. a unique lock's digest).
    options: dict[str, Any] = field(default_factory=dict, repr=False)
    # Why the stored payload is not a readable message ("" when it is); such an entry can only be deleted.
    problem: str = ""

    @property
    def last_error(self) -> str:
        """Return the last line of the previous attempt's traceback, e.g. ``ValueError: bad``."""
        return last_line(self.traceback)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """A dead-lettered message with its final failure."""

    message: QueuedMessage
    failed_at: float
    failure: Failure | None

    @property
    def error(self) -> str:
        """Return the final error, falling back on the last retried one."""
        return self.failure.error if self.failure else self.message.last_error

    @property
    def traceback(self) -> str:
        """Return the final traceback, falling back on the last retried one."""
        return self.failure.traceback if self.failure else self.message.traceback


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetterFilter:
    """Which dead letters a page or a bulk action covers; empty fields match all."""

    actor: str = ""
    # A case-insensitive substring of the error line.
    error: str = ""

    @property
    def is_empty(self) -> bool:
        """Tell whether the filter matches every dead letter."""
        return not (self.actor or self.error)

    def matches(self, letter: DeadLetter) -> bool:
        """Tell whether ``letter`` passes the filter."""
        if self.actor and letter.message.actor != self.actor:
            return False
        return not self.error or self.error.casefold() in letter.error.casefold()


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing(Generic[T]):
    """One page of a browser: the items, the total, and where the next page starts."""

    items: tuple[T, ...]
    total: int
    # An opaque position to pass back for the next page; None on the last page.
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MinuteCount:
    """Jobs finished during one minute, across all workers."""

    minute: float
    processed: int
    failed: int
    # Jobs of dead workers put back on their queues, and the longest wait from a death to its requeue (s).
    recovered: int = 0
    recovery_delay: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorTotals:
    """Attempts of one actor finished across all workers since its totals began, and the time they took."""

    actor: str
    processed: int
    failed: int
    # Seconds spent on those attempts, processed and failed alike.
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """Everything the Dashboard page and ``manage.py scalejobs status`` show."""

    queues: tuple[QueueSummary, ...]
    workers: tuple[WorkerInfo, ...]
    minutes: tuple[MinuteCount, ...] = field(default=())

    @property
    def busy(self) -> int:
        """Return the number of jobs running across all workers."""
        return sum(worker.busy for worker in self.workers)

    @property
    def threads(self) -> int:
        """Return the number of worker threads across all workers."""
        return sum(worker.threads for worker in self.workers)

    @property
    def recovered(self) -> int:
        """Return how many jobs of dead workers went back on their queues during ``minutes``."""
        return sum(minute.recovered for minute in self.minutes)

    @property
    def recovery_delay(self) -> float | None:
        """Return the longest wait from a worker's death to its jobs' requeue during ``minutes``, in seconds."""
        delays = [minute.recovery_delay for minute in self.minutes if minute.recovery_delay is not None]
        return max(delays, default=None)


def last_line(text: str) -> str:
    """Return the last non-blank line of ``text``."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return ""
