"""The admin dashboard: queues, running jobs with progress, dead letters, workers, metrics.

``engine()`` builds the query API on the broker's Redis from the settings;
other slices ask it, e.g. ``progress_of(message_ids)`` for the jobs a task runs,
or tell it, e.g. ``count_recovery(...)`` for the messages orphan recovery put back.
"""

from __future__ import annotations

from collections.abc import Iterable

import dramatiq

from ..conf import get_settings
from ..store import broker_client, keyspace
from .engine import DashboardEngine
from .running import progress
from .values import ActorTotals, Progress, WorkerInfo

__all__ = ["ActorTotals", "DashboardEngine", "Progress", "WorkerInfo", "count_recovery", "declared_queues", "engine", "progress", "progress_of"]


def engine() -> DashboardEngine:
    """Return the dashboard engine of the configured Dramatiq Redis broker."""
    broker = dramatiq.get_broker()
    client = broker_client(broker, needs="the dashboard")
    settings = get_settings().dashboard
    return DashboardEngine(
        client,
        space=keyspace("dashboard"),
        namespace=getattr(broker, "namespace", "dramatiq"),
        heartbeat_seconds=settings.heartbeat_seconds,
        worker_timeout_seconds=settings.worker_timeout_seconds,
    )


def declared_queues() -> set[str]:
    """Return the queues this process's actors declared."""
    return set(dramatiq.get_broker().get_declared_queues())


def progress_of(message_ids: Iterable[str]) -> dict[str, Progress | None]:
    """Return the progress of those ``message_ids`` running now on any worker."""
    return engine().progress_of(message_ids)


def count_recovery(*, at: float, messages: int, delay: float | None) -> None:
    """Add ``messages`` of a dead worker, put back at ``at`` and ``delay`` seconds after its death, to the per-minute metrics."""
    retention = get_settings().dashboard.metrics_retention_hours * 3600
    engine().throughput.count_recovery(at=at, messages=messages, delay=delay, retention_seconds=retention)
