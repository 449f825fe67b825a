"""The publisher hands each reading to every sink, one failing sink spares the others, and only a leader publishes."""

from __future__ import annotations

import io
import json
import logging

from scalejobs.clock import RedisClock
from scalejobs.conf import build
from scalejobs.keys import KeySpace
from scalejobs.leader.election import Election
from scalejobs.leader.engine import LeaderLease
from scalejobs.metrics import Fleet, Snapshot
from scalejobs.metrics.emf import EmfSink
from scalejobs.metrics.publisher import MetricsPublisher
from scalejobs.metrics.runtime import emf_enabled
from tests.conftest import wait_for


def reading(at: float) -> Snapshot:
    return Snapshot(at=at, queues=(), fleet=Fleet(workers=1, tasks=1, threads=2, busy_threads=1), actors=())


class Broken:
    name = "broken"

    def publish(self, snapshot, previous):
        raise RuntimeError("CloudWatch said no")


def election(redis_db) -> Election:
    lease = LeaderLease(redis_db, KeySpace("test", "leader"), lease_seconds=2.0, clock=RedisClock(redis_db))
    return Election(lease, renew_seconds=0.5, check_seconds=0.5)


def test_a_failing_sink_is_logged_and_the_others_still_publish(redis_db, caplog):
    stream = io.StringIO()
    times = iter([1_800_000_000.0, 1_800_000_060.0])
    publisher = MetricsPublisher(lambda: reading(next(times)), [Broken(), EmfSink(namespace="Scalejobs", stream=stream)], election(redis_db), interval=10)

    with caplog.at_level(logging.ERROR):
        first = publisher.publish_once()
        publisher.publish_once()

    assert publisher.previous is not first and publisher.previous.at == 1_800_000_060.0
    assert [json.loads(line)["Workers"] for line in stream.getvalue().splitlines()] == [1, 1]
    assert caplog.text.count("could not publish metrics to broken") == 2


def test_only_the_process_that_leads_publishes(redis_db):
    streams = [io.StringIO(), io.StringIO()]
    publishers = [
        MetricsPublisher(lambda: reading(1_800_000_000.0), [EmfSink(namespace="Scalejobs", stream=stream)], election(redis_db), interval=10)
        for stream in streams
    ]
    for publisher in publishers:
        publisher.start()
    try:
        wait_for(lambda: any(stream.getvalue() for stream in streams))
        leading = [publisher.election.is_leader for publisher in publishers]
        assert leading.count(True) == 1
        assert [bool(stream.getvalue()) for stream in streams] == leading
    finally:
        for publisher in publishers:
            publisher.stop()


def test_emf_auto_is_on_inside_ecs_only():
    settings = build({}).metrics
    assert emf_enabled(settings, {"ECS_CONTAINER_METADATA_URI_V4": "http://127.0.0.1:1/v4/x"}) is True
    assert emf_enabled(settings, {}) is False
    assert emf_enabled(build({"METRICS": {"EMF": True}}).metrics, {}) is True
