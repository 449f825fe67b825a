"""Queue and fleet metrics for autoscaling: CloudWatch (EMF, PutMetricData) and Prometheus.

``snapshot()`` reads every metric now, through the dashboard's queries;
the elected leader publishes it (``middleware.Metrics``), the view at
``GET /scalejobs/metrics`` and ``manage.py scalejobs metrics`` render it.
"""

from __future__ import annotations

from .engine import MetricsEngine, fleet_of
from .values import Fleet, QueueMetrics, Snapshot

__all__ = ["Fleet", "MetricsEngine", "QueueMetrics", "Snapshot", "engine", "fleet_of", "snapshot"]


def engine() -> MetricsEngine:
    """Return the metrics engine of the configured Dramatiq Redis broker."""
    from .. import dashboard

    return MetricsEngine(dashboard.engine())


def snapshot() -> Snapshot:
    """Return every metric now, for the queues known to workers and declared in this process."""
    from ..dashboard import declared_queues

    return engine().snapshot(declared_queues())
