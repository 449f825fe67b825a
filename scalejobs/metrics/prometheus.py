"""Render a ``Snapshot`` in the Prometheus (or OpenMetrics) text format with ``prometheus_client``.

Each request builds a throw-away registry around one snapshot: nothing is
kept between scrapes, and every web process answers alike.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from .values import Snapshot


class SnapshotCollector(Collector):
    """Expose one snapshot's values as metric families."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snapshot, fleet = self.snapshot, self.snapshot.fleet
        per_queue = [
            ("scalejobs_queue_backlog", "Ready messages waiting for a worker.", "backlog"),
            ("scalejobs_queue_latency_seconds", "Seconds the oldest ready message has waited.", "latency"),
            ("scalejobs_queue_delayed", "Delayed messages (retries and perform_in).", "delayed"),
            ("scalejobs_queue_in_flight", "Messages fetched by workers and not yet acknowledged.", "in_flight"),
        ]
        for name, documentation, attribute in per_queue:
            family = GaugeMetricFamily(name, documentation, labels=["queue"])
            for queue in snapshot.queues:
                family.add_metric([queue.queue], getattr(queue, attribute))
            yield family
        yield GaugeMetricFamily("scalejobs_workers", "Live worker processes.", value=fleet.workers)
        yield GaugeMetricFamily("scalejobs_tasks", "ECS tasks (or hosts) running workers.", value=fleet.tasks)
        yield GaugeMetricFamily("scalejobs_threads", "Worker threads.", value=fleet.threads)
        yield GaugeMetricFamily("scalejobs_threads_busy", "Worker threads running a job.", value=fleet.busy_threads)
        yield GaugeMetricFamily("scalejobs_backlog_per_task", "Ready messages per task.", value=snapshot.backlog_per_task)
        processed = CounterMetricFamily("scalejobs_jobs_processed", "Job attempts that returned.", labels=["actor"])
        failed = CounterMetricFamily("scalejobs_jobs_failed", "Job attempts that raised.", labels=["actor"])
        duration = SummaryMetricFamily("scalejobs_job_duration_seconds", "Time spent on finished attempts.", labels=["actor"])
        for actor in snapshot.actors:
            processed.add_metric([actor.actor], actor.processed)
            failed.add_metric([actor.actor], actor.failed)
            duration.add_metric([actor.actor], count_value=actor.processed + actor.failed, sum_value=actor.seconds)
        yield from (processed, failed, duration)


def render(snapshot: Snapshot, accept: str = "") -> tuple[bytes, str]:
    """Return the exposition of ``snapshot`` and its content type, in the format ``accept`` prefers."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
