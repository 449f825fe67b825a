"""The numbers the metrics slice publishes, as values: one ``Snapshot`` per reading.

Nothing here touches Redis, Django or Dramatiq; the sinks (EMF,
PutMetricData, Prometheus, JSON) all render the same snapshot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..dashboard import ActorTotals

__all__ = ["ActorTotals", "Fleet", "QueueMetrics", "Snapshot"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMetrics:
    """One Dramatiq queue as the autoscaler sees it."""

    queue: str
    # Ready messages waiting for a worker.
    backlog: int
    # Seconds the oldest ready message has waited (0 when none waits).
    latency: float
    delayed: int
    # Fetched by a worker (running or prefetched) and not yet acknowledged.
    in_flight: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Fleet:
    """The worker processes alive now, across the cluster."""

    workers: int
    # ECS tasks running workers, or hosts outside ECS.
    tasks: int
    threads: int
    busy_threads: int

    @property
    def utilization(self) -> float:
        """Return the busy share of the worker threads, in percent (0 with no threads)."""
        return 100.0 * self.busy_threads / self.threads if self.threads else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Every metric at one moment (``at``, seconds since the epoch)."""

    at: float
    queues: tuple[QueueMetrics, ...]
    fleet: Fleet
    actors: tuple[ActorTotals, ...]

    @property
    def backlog(self) -> int:
        """Return the ready messages of all queues."""
        return sum(queue.backlog for queue in self.queues)

    @property
    def backlog_per_task(self) -> float:
        """Return ready messages per task; with no task, the whole backlog, so that scale-out from zero starts."""
        return self.backlog / max(1, self.fleet.tasks)

    def as_json(self) -> dict[str, Any]:
        """Return the snapshot as plain JSON data, derived figures included."""
        return {
            "at": self.at,
            "queues": [asdict(queue) for queue in self.queues],
            "fleet": {**asdict(self.fleet), "utilization": self.fleet.utilization, "backlog_per_task": self.backlog_per_task},
            "actors": [asdict(actor) for actor in self.actors],
        }
