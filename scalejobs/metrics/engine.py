"""Read the autoscaling metrics of a Dramatiq deployment from Redis, cheaply.

The invariant: one reading costs a fixed handful of round trips whatever the
queue depth (LLEN, HLEN, LINDEX, MGET of live workers, one HGETALL of the
per-actor totals), and never scans the keyspace, so a leader may read every
10 s under 100,000 queued messages.

It owns no Redis keys: queues and workers are read through the dashboard's
query API (``DashboardEngine``), which knows Dramatiq's key layout and the
heartbeat format. ``live_fleet`` is the one place that depends on heartbeats.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..dashboard import DashboardEngine, WorkerInfo
from .values import Fleet, QueueMetrics, Snapshot


def live_fleet(dashboard: DashboardEngine) -> Fleet:
    """Return the fleet as the workers' heartbeats describe it now."""
    return fleet_of(dashboard.workers.workers())


def fleet_of(workers: Iterable[WorkerInfo]) -> Fleet:
    """Count the live workers, their tasks (ECS task ARN, else host) and their busy and idle threads."""
    workers = list(workers)
    return Fleet(
        workers=len(workers),
        tasks=len({worker.ecs_task_arn or worker.host for worker in workers}),
        threads=sum(worker.threads for worker in workers),
        busy_threads=sum(worker.busy for worker in workers),
    )


class MetricsEngine:
    """Take ``Snapshot``s of queues, workers and per-actor totals through the dashboard's queries."""

    def __init__(self, dashboard: DashboardEngine) -> None:
        self.dashboard = dashboard

    def snapshot(self, declared_queues: Iterable[str] = ()) -> Snapshot:
        """Return every metric now; ``declared_queues`` adds queues no worker has consumed yet."""
        dashboard = self.dashboard
        now = dashboard.clock()
        summaries = dashboard.queues.summaries(dashboard.queues.names(declared_queues))
        return Snapshot(
            at=now,
            queues=tuple(
                QueueMetrics(
                    queue=summary.name,
                    backlog=summary.ready,
                    latency=summary.latency(now),
                    delayed=summary.delayed,
                    in_flight=summary.in_flight,
                )
                for summary in summaries
            ),
            fleet=live_fleet(dashboard),
            actors=tuple(dashboard.throughput.actors()),
        )
