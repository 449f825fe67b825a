"""Acks sent in batches lose nothing when a worker dies: its noted acks' messages run again.

A busy push consumer sends the acks of finished jobs with its next fetch
(``scalejobs/dispatch/consumer.py``), so a worker SIGKILLed under load
dies with jobs that finished and whose acks were never sent. Their ids are
still in its ack set in Redis, so they are redelivered like every message
it had fetched: each job runs at least once, and only those run twice.
Workers run ``tests.system.reliability_settings`` with a 3 s heartbeat
timeout, so the dead worker's messages come back in seconds.
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.conftest import wait_for
from tests.testapp.reliability_tasks import RAN, RUNS, chaos_plain

pytestmark = pytest.mark.system

JOBS = 1500
THREADS = 8
# Dramatiq's default prefetch per consumer: what a dead worker can hold unacked.
PREFETCH = 2 * THREADS
WORKER_ENV = {
    "DJANGO_SETTINGS_MODULE": "tests.system.reliability_settings",
    "SCALEJOBS_TEST_HEARTBEAT_MS": "3000",
    "SCALEJOBS_TEST_OVERRIDES": json.dumps({"RELIABILITY": {"RECOVERY_INTERVAL_SECONDS": 1.0}}),
}


def unacked(redis_db) -> set[bytes]:
    return {member for key in redis_db.scan_iter(match="dramatiq:__acks__.*") for member in redis_db.smembers(key)}


def message_ids(redis_db, redis_ids: set[bytes]) -> set[bytes]:
    """Return the message ids of the fetched messages ``redis_ids`` (their payloads stay until acked)."""
    payloads = redis_db.hmget("dramatiq:default.msgs", list(redis_ids))
    return {json.loads(payload)["message_id"].encode() for payload in payloads if payload is not None}


def test_a_worker_sigkilled_mid_batch_loses_no_job_and_reruns_only_what_it_held(broker, redis_db, start_worker, record_property):
    chaos_plain.perform_bulk([(number, 0) for number in range(JOBS)], on_commit=False)
    victim = start_worker("--processes", "1", "--threads", str(THREADS), env=WORKER_ENV)
    wait_for(lambda: redis_db.scard(RAN) >= JOBS // 3, timeout=120, interval=0.002)

    victim.signal(signal.SIGKILL)
    held = message_ids(redis_db, unacked(redis_db))
    assert 0 < len(held) <= PREFETCH
    finished_unacked = len(held & redis_db.hgetall(RUNS).keys())
    survivor = start_worker("--processes", "1", "--threads", str(THREADS), env=WORKER_ENV)

    wait_for(lambda: redis_db.scard(RAN) == JOBS and not unacked(redis_db) and not redis_db.llen("dramatiq:default"), timeout=120)
    runs = {member: int(count) for member, count in redis_db.hgetall(RUNS).items()}
    duplicates = sum(runs.values()) - JOBS
    record_property("finished_but_unacked_at_the_kill", finished_unacked)
    record_property("duplicates", duplicates)
    print(f"killed with {len(held)} messages unacked, {finished_unacked} of them finished; {duplicates} ran twice")
    assert finished_unacked > 0, "no ack was waiting for a fetch at the kill: nothing was tested"
    assert len(runs) == JOBS
    assert {member for member, count in runs.items() if count > 1} <= held
    assert survivor.process.poll() is None
