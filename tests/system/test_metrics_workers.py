"""Real workers: only the elected leader publishes the metrics, as one EMF stream, and a new leader takes over."""

from __future__ import annotations

import json

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.system

INTERVAL = 10.0
OVERRIDES = {
    "METRICS": {"EMF": True, "INTERVAL_SECONDS": INTERVAL, "DIMENSIONS": {"Service": "test"}},
    "DASHBOARD": {"HEARTBEAT_SECONDS": 0.5, "WORKER_TIMEOUT_SECONDS": 5},
}
WORKER_ENV = {"SCALEJOBS_TEST_OVERRIDES": json.dumps(OVERRIDES)}


def fleet_documents(worker) -> list[dict]:
    """Return the fleet documents (no Queue or Actor dimension) the worker group wrote, in order."""
    found = []
    for line in worker.output().splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            if "Queue" not in document and "Actor" not in document:
                found.append(document)
    return found


def test_only_the_leader_publishes_one_stream_and_another_process_takes_over_when_it_stops(redis_db, start_worker):
    groups = [start_worker("--processes", "2", "--threads", "2", env=WORKER_ENV) for _ in range(2)]

    # Two readings after all four processes beat: at least one publication sees the whole fleet.
    wait_for(lambda: any(d["Workers"] == 4 for g in groups for d in fleet_documents(g)), timeout=60)
    publishing = [group for group in groups if fleet_documents(group)]
    assert len(publishing) == 1, "one worker group leads, the other stays silent"
    [leader] = publishing
    stream = fleet_documents(leader)
    times = [document["_aws"]["Timestamp"] / 1000 for document in stream]
    assert all(later - earlier >= INTERVAL - 0.5 for earlier, later in zip(times, times[1:])), times
    whole = next(document for document in stream if document["Workers"] == 4)
    assert (whole["Tasks"], whole["Threads"], whole["Service"]) == (1, 8, "test")

    leader.stop()
    [follower] = [group for group in groups if group is not leader]
    taken_over = wait_for(lambda: [d for d in fleet_documents(follower) if d["Workers"] == 2], timeout=60)
    assert taken_over[0]["_aws"]["Timestamp"] / 1000 > times[-1]
