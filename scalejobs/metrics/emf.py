"""Render a ``Snapshot`` as CloudWatch Embedded Metric Format documents, one JSON line each.

An EMF document gives each dimension one value, so a reading becomes one
document for the fleet (no dimension), one per queue (``Queue``) and, for
job counts, one per actor (``Actor``). Static dimensions from the settings
(e.g. ``{"Service": "worker"}``) are added to every one. The ``awslogs``
log driver turns the lines into metrics: no credentials, no API calls.

Rules kept (CloudWatch's EMF specification): ``_aws`` holds ``Timestamp``
(ms) and ``CloudWatchMetrics``; each directive names its ``Namespace``, its
dimension sets and at most 100 metrics with a valid ``Unit``; every metric
and dimension it names is a member of the root.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from .values import ActorTotals, Snapshot

# EMF allows at most this many metrics in one directive.
MAX_METRICS = 100


def fleet_metrics(snapshot: Snapshot) -> list[tuple[str, float, str]]:
    """Return the fleet's metrics as (name, value, unit), the CloudWatch names."""
    fleet = snapshot.fleet
    return [
        ("Workers", fleet.workers, "Count"),
        ("Tasks", fleet.tasks, "Count"),
        ("Threads", fleet.threads, "Count"),
        ("BusyThreads", fleet.busy_threads, "Count"),
        ("Utilization", round(fleet.utilization, 3), "Percent"),
        ("BacklogPerTask", round(snapshot.backlog_per_task, 3), "Count"),
    ]


def actor_metrics(current: ActorTotals, previous: ActorTotals | None) -> list[tuple[str, float, str]]:
    """Return an actor's job counts since ``previous`` and their mean duration, as (name, value, unit)."""
    processed, failed, seconds = current.processed, current.failed, current.seconds
    if previous is not None and previous.processed <= processed and previous.failed <= failed:
        processed, failed, seconds = processed - previous.processed, failed - previous.failed, seconds - previous.seconds
    finished = processed + failed
    metrics: list[tuple[str, float, str]] = [("JobsProcessed", processed, "Count"), ("JobsFailed", failed, "Count")]
    if finished:
        metrics.append(("JobDuration", round(max(0.0, seconds) / finished, 6), "Seconds"))
    return metrics


def groups(snapshot: Snapshot, previous: Snapshot | None) -> Iterator[tuple[dict[str, str], list[tuple[str, float, str]]]]:
    """Yield each (dimensions, metrics) group of a reading; job counts only once a previous reading exists."""
    yield {}, fleet_metrics(snapshot)
    for queue in snapshot.queues:
        yield {"Queue": queue.queue}, [
            ("QueueBacklog", queue.backlog, "Count"),
            ("QueueLatency", round(queue.latency, 3), "Seconds"),
            ("QueueDelayed", queue.delayed, "Count"),
            ("QueueInFlight", queue.in_flight, "Count"),
        ]
    if previous is None:
        return
    before = {actor.actor: actor for actor in previous.actors}
    for actor in snapshot.actors:
        yield {"Actor": actor.actor}, actor_metrics(actor, before.get(actor.actor))


def documents(
    snapshot: Snapshot, previous: Snapshot | None, *, namespace: str, dimensions: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Return the EMF documents of one reading."""
    found = []
    for own, metrics in groups(snapshot, previous):
        keys = {**(dimensions or {}), **own}
        for start in range(0, len(metrics), MAX_METRICS):
            chunk = metrics[start : start + MAX_METRICS]
            directive = {
                "Namespace": namespace,
                "Dimensions": [list(keys)],
                "Metrics": [{"Name": name, "Unit": unit} for name, _, unit in chunk],
            }
            document: dict[str, Any] = {"_aws": {"Timestamp": int(snapshot.at * 1000), "CloudWatchMetrics": [directive]}}
            document.update(keys)
            document.update({name: value for name, value, _ in chunk})
            found.append(document)
    return found


class EmfSink:
    """Write each reading's documents to a stream, one line each (standard output by default)."""

    name = "emf"

    def __init__(self, *, namespace: str, dimensions: Mapping[str, str] | None = None, stream: TextIO | None = None) -> None:
        self.namespace = namespace
        self.dimensions = dict(dimensions or {})
        self.stream = stream

    def publish(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        """Write the reading; each line in one write, so lines of other threads never cut through it."""
        # Looked up at each call: Dramatiq's worker processes replace sys.stdout after boot.
        stream = self.stream or sys.stdout
        for document in documents(snapshot, previous, namespace=self.namespace, dimensions=self.dimensions):
            stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        stream.flush()
