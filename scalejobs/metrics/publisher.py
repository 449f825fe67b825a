"""Publish the autoscaling metrics from the elected leader, every ``INTERVAL_SECONDS``.

Every worker process takes part in the one leader election; only the leader
reads and publishes, so CloudWatch gets one stream however many workers run.
A reading that fails (Redis away) is logged and skipped; a sink that fails
is logged and the others still publish. Job counts are differences between
two readings of the same leader, so a new leader publishes them from its
second reading on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

import redis

from ..leader import Election, LeaderDuty
from .values import Snapshot

logger = logging.getLogger(__name__)

# How often a follower looks for a stop request while waiting to lead.
POLL_SECONDS = 0.5


class Sink(Protocol):
    """Somewhere a reading goes: EMF lines, PutMetricData."""

    name: str

    def publish(self, snapshot: Snapshot, previous: Snapshot | None) -> None: ...


class MetricsPublisher(LeaderDuty):
    """The thread that reads the metrics and hands them to each sink while this process leads."""

    thread_name = "scalejobs-metrics"

    def __init__(self, read: Callable[[], Snapshot], sinks: Sequence[Sink], election: Election, *, interval: float) -> None:
        self.read = read
        self.sinks = tuple(sinks)
        self.interval = interval
        self.previous: Snapshot | None = None
        super().__init__(election)

    def _has_work(self) -> bool:
        return bool(self.sinks)

    def publish_once(self) -> Snapshot:
        """Take a reading and give it to every sink."""
        snapshot = self.read()
        for sink in self.sinks:
            try:
                sink.publish(snapshot, self.previous)
            except Exception:  # one sink's failure (e.g. AWS throttling) must not silence the others
                logger.exception("scalejobs: could not publish metrics to %s.", sink.name)
        self.previous = snapshot
        return snapshot

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.election.wait_until_leading(POLL_SECONDS):
                self.previous = None
                continue
            try:
                self.publish_once()
            except (redis.RedisError, OSError) as error:
                logger.warning("scalejobs: cannot read the metrics from Redis (%s); trying again in %.0f s.", error, self.interval)
            except Exception:  # a thread boundary: log, and try again next interval
                logger.exception("scalejobs: reading the metrics failed; trying again in %.0f s.", self.interval)
            self._stopping.wait(self.interval)
