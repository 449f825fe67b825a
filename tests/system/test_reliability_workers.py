"""Orphan recovery and the poison-message guard in real rundramatiq workers, on both Redis brokers.

Workers run ``tests.system.reliability_settings`` with a 3 s heartbeat
timeout and silence, a 1 s recovery interval and a 3 s leader lease, so a dead worker is
noticed in seconds rather than Dramatiq's minute.
"""

from __future__ import annotations

import json
import signal

import pytest

from scalejobs.keys import KeySpace
from scalejobs.reliability import DeliveryLedger, OrphanRecovery
from scalejobs.store import keyspace
from tests.conftest import wait_for
from tests.testapp.reliability_tasks import RAN, RELEASE, RUNS, STARTS, hold_until_released, kill_own_worker

pytestmark = pytest.mark.system

HEARTBEAT_MS = 3000
FAST = {
    "RELIABILITY": {"RECOVERY_INTERVAL_SECONDS": 1.0, "SILENCE_SECONDS": 3.0, "PULSE_SECONDS": 0.5},
    "LEADER": {"LEASE_SECONDS": 3.0, "RENEW_SECONDS": 1.0, "CHECK_SECONDS": 1.0},
}


@pytest.fixture(params=["dispatch", "plain"])
def workers(request, start_worker, broker):
    """Start workers on the broker under test; ``start(**reliability)`` overrides RELIABILITY settings."""

    def start(*args, heartbeat_ms=HEARTBEAT_MS, **reliability):
        overrides = {**FAST, "RELIABILITY": {**FAST["RELIABILITY"], **reliability}}
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.system.reliability_settings",
            "SCALEJOBS_TEST_BROKER": request.param,
            "SCALEJOBS_TEST_HEARTBEAT_MS": str(heartbeat_ms),
            "SCALEJOBS_TEST_OVERRIDES": json.dumps(overrides),
        }
        return start_worker("--processes", "1", "--threads", "4", *args, env=env)

    return start


def recovery(redis_db) -> OrphanRecovery:
    return OrphanRecovery(redis_db, keyspace("reliability"), namespace="dramatiq", heartbeat_timeout_ms=HEARTBEAT_MS)


def starts(redis_db) -> list[tuple[str, int]]:
    """Return (message id, master pid) of every start so far."""
    return [(fields[0], int(fields[2])) for fields in (raw.decode().split("|") for raw in redis_db.lrange(STARTS, 0, -1))]


def died(worker) -> bool:
    """Whether the worker process under the master died (the master says so)."""
    return "exited unexpectedly" in worker.output()


def unacked(redis_db) -> int:
    return sum(redis_db.scard(key) for key in redis_db.scan_iter(match="dramatiq:__acks__.*"))


def test_a_sigkilled_workers_jobs_are_put_back_by_the_leader_and_run_again(workers, redis_db):
    victim = workers()
    sent = {hold_until_released.send(f"job-{number}").message_id for number in range(6)}
    # Four threads: four jobs start, two wait in the victim's prefetch; all six are in its ack sets.
    wait_for(lambda: len(starts(redis_db)) == 4, timeout=60)
    assert {pid for _, pid in starts(redis_db)} == {victim.pid}

    victim.signal(signal.SIGKILL)
    redis_db.set(RELEASE, 1)
    survivor = workers()

    wait_for(lambda: redis_db.scard(RAN) == 6, timeout=60)
    assert {member.decode() for member in redis_db.smembers(RAN)} == sent
    assert {int(count) for count in redis_db.hvals(RUNS)} == {1}
    assert {pid for _, pid in starts(redis_db)[4:]} == {survivor.pid}
    wait_for(lambda: unacked(redis_db) == 0, timeout=30)
    stats = recovery(redis_db).stats()
    assert (stats.workers, stats.messages) == (1, 6)
    (latest,) = recovery(redis_db).recent()
    assert latest.kind == "dead worker" and latest.messages == 6


def test_a_message_that_kills_its_worker_is_dead_lettered_once_it_did_so_more_than_max_deaths_times(workers, redis_db):
    message = kill_own_worker.send("oom")
    deaths = 0
    while not redis_db.zcard("dramatiq:default.XQ"):
        # Dramatiq's own maintenance must not put the message back before the recovery pass has
        # counted the death: with a heartbeat timeout as short as the silence the two race, which
        # the production default (60 s against a 10 s silence) never lets happen.
        worker = workers(MAX_DEATHS=1, heartbeat_ms=60_000)
        wait_for(lambda: died(worker) or redis_db.zcard("dramatiq:default.XQ"), timeout=60)
        if died(worker):
            deaths += 1
            # Dramatiq's master lingers after its worker process dies; a container runtime restarts the task.
            worker.signal(signal.SIGKILL)
            worker.stop()
        assert deaths <= 2, "the message was run after its worker died under it twice"

    assert deaths == 2
    assert [message_id for message_id, _ in starts(redis_db)] == [message.message_id] * 2
    (dead,) = redis_db.zrange("dramatiq:default.XQ", 0, -1)
    failure = json.loads(wait_for(lambda: redis_db.get(f"scalejobs:dashboard:failure:{dead.decode()}")))
    assert failure["error"] == (
        "scalejobs.reliability.guard.PoisonMessage: kill_own_worker: its worker died under it 2 times, more than "
        "SCALEJOBS['RELIABILITY']['MAX_DEATHS'] = 1; dead-lettered instead of run again."
    )
    ledger = DeliveryLedger(redis_db, KeySpace("scalejobs", "reliability"))
    assert [(poisoned.message_id, poisoned.deaths) for poisoned in ledger.poisoned()] == [(message.message_id, 2)]
    assert unacked(redis_db) == 0
