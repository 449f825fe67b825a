"""Orphan recovery against a real Redis holding Dramatiq's own keys, written by Dramatiq's own broker."""

from __future__ import annotations

import time

import pytest

from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.reliability.recovery import DEAD_WORKER, STRANDED, OrphanRecovery
from scalejobs.reliability.values import Recovery
from tests.dramatiq_queues import Queues

TIMEOUT_MS = 60_000


@pytest.fixture
def clock():
    return FrozenClock(float(int(time.time())))


@pytest.fixture
def recovery(redis_db, clock):
    return OrphanRecovery(
        redis_db, KeySpace("test", "reliability"), namespace="dramatiq", heartbeat_timeout_ms=TIMEOUT_MS, clock=clock, redis_uptime=lambda: 3600.0
    )


def worker(redis_db) -> Queues:
    """Return a stand-in worker process: Dramatiq's broker with a broker id of its own."""
    return Queues(redis_db)


def heartbeat(redis_db, queues: Queues, at: float) -> None:
    redis_db.zadd("dramatiq:__heartbeats__", {queues.broker.broker_id: int(at * 1000)})


def ready(redis_db, queue: str = "default") -> list[bytes]:
    return redis_db.lrange(f"dramatiq:{queue}", 0, -1)


def redis_id(data: dict) -> bytes:
    return data["options"]["redis_message_id"].encode()


def test_a_dead_workers_unacked_messages_go_back_to_their_queues_and_the_worker_is_forgotten(redis_db, recovery, clock):
    victim = worker(redis_db)
    for number in range(3):
        victim.send(number)
    victim.send("later", delay_ms=1000)
    taken = victim.fetch("default", 2)
    held = victim.fetch("default.DQ", 1)
    heartbeat(redis_db, victim, clock.now - 61)

    result = recovery.run(["default"])

    assert result.dead_workers == 1
    assert result.recoveries == (
        Recovery(
            at=clock.now, worker=victim.broker.broker_id, kind=DEAD_WORKER, queues={"default": 2, "default.DQ": 1}, delay=61.0, by="heartbeat"
        ),
    )
    # Back at the head: they were fetched before the one still waiting.
    assert len(ready(redis_db)) == 3 and set(ready(redis_db)[:2]) == {redis_id(data) for data in taken}
    assert ready(redis_db, "default.DQ") == [redis_id(held[0])]
    assert redis_db.keys("dramatiq:__acks__.*") == []
    assert redis_db.zscore("dramatiq:__heartbeats__", victim.broker.broker_id) is None
    stats = recovery.stats()
    assert (stats.passes, stats.workers, stats.messages, stats.stranded) == (1, 1, 3, 0)
    assert stats.by_queue == {"default": 2, "default.DQ": 1}
    assert stats.last_recovery == clock.now
    assert recovery.recent() == list(result.recoveries)


def test_a_live_workers_messages_stay_where_they_are(redis_db, recovery, clock):
    alive = worker(redis_db)
    alive.send(1)
    alive.fetch()
    heartbeat(redis_db, alive, clock.now - 59)

    result = recovery.run(["default"])

    assert result.recoveries == () and result.dead_workers == 0
    assert ready(redis_db) == []
    assert redis_db.scard(f"dramatiq:__acks__.{alive.broker.broker_id}.default") == 1


def test_queues_the_recovering_process_never_declared_are_recovered_if_a_pulsing_process_consumes_them(redis_db, recovery, clock):
    victim = worker(redis_db)
    victim.send("x", queue="reports")
    victim.send("y", queue="unknown")
    victim.fetch("reports")
    victim.fetch("unknown")
    heartbeat(redis_db, victim, clock.now - 120)
    recovery.pulses.pulse("another-worker", queues=["reports"], stats_key=recovery.stats_key)

    result = recovery.run([])

    assert result.messages == 1 and result.queues == {"reports"}
    assert len(ready(redis_db, "reports")) == 1
    # No process declares it: found by no SCAN, it is left to Dramatiq's own maintenance.
    assert redis_db.scard(f"dramatiq:__acks__.{victim.broker.broker_id}.unknown") == 1


def test_an_id_whose_payload_is_gone_is_dropped_not_requeued(redis_db, recovery, clock):
    victim = worker(redis_db)
    victim.send(1)
    (data,) = victim.fetch()
    redis_db.hdel("dramatiq:default.msgs", redis_id(data))
    heartbeat(redis_db, victim, clock.now - 120)

    result = recovery.run(["default"])

    assert result.messages == 0 and ready(redis_db) == []
    assert redis_db.keys("dramatiq:__acks__.*") == []


def test_a_dead_process_without_ack_sets_only_leaves_the_heartbeat_set(redis_db, recovery, clock):
    idle = worker(redis_db)
    heartbeat(redis_db, idle, clock.now - 120)

    result = recovery.run(["default"])

    assert result.recoveries == () and result.dead_workers == 1
    assert redis_db.zcard("dramatiq:__heartbeats__") == 0
    assert recovery.stats().workers == 0  # a web process that only enqueued is no worker


def test_a_worker_that_called_in_since_it_was_found_dead_keeps_its_messages(redis_db, recovery, clock):
    late = worker(redis_db)
    late.send(1)
    late.fetch()
    heartbeat(redis_db, late, clock.now)  # it spoke between the look-up and the move

    found = recovery._recover_worker(
        late.broker.broker_id,
        ["default"],
        liveness="dramatiq:__heartbeats__",
        cutoff=int((clock.now - 60) * 1000),
        now=int(clock.now * 1000),
        by="heartbeat",
        poison=(),
    )
    assert found is None
    assert redis_db.scard(f"dramatiq:__acks__.{late.broker.broker_id}.default") == 1


def fresh_redis(redis_db, clock, uptime: float) -> OrphanRecovery:
    """Return recovery on a Redis that restarted ``uptime`` seconds ago."""
    return OrphanRecovery(
        redis_db, KeySpace("test", "reliability"), namespace="dramatiq", heartbeat_timeout_ms=TIMEOUT_MS, clock=clock, redis_uptime=lambda: uptime
    )


def test_silence_while_redis_was_down_does_not_count_towards_death(redis_db, clock):
    # Redis went down 100 s ago, when both workers last called in, and came back 30 s ago.
    recovery = fresh_redis(redis_db, clock, uptime=30.0)
    live, killed = worker(redis_db), worker(redis_db)
    for queues in (live, killed):
        queues.send(1)
        queues.fetch()
    heartbeat(redis_db, live, clock.now - 100)
    heartbeat(redis_db, killed, clock.now - 100)
    assert recovery.run(["default"]).recoveries == ()  # silent 30 s while Redis was up: not dead yet

    clock.advance(29)
    heartbeat(redis_db, live, clock.now)  # it reconnected and called in
    recovery = fresh_redis(redis_db, clock, uptime=59.0)
    assert recovery.run(["default"]).recoveries == ()

    clock.advance(2)
    recovery = fresh_redis(redis_db, clock, uptime=61.0)
    (recovered,) = recovery.run(["default"]).recoveries
    assert recovered.worker == killed.broker.broker_id


def test_a_worker_killed_before_redis_went_down_is_recovered_without_waiting_for_the_heartbeat_timeout_again(redis_db, clock):
    recovery = fresh_redis(redis_db, clock, uptime=10.0)
    live, killed = worker(redis_db), worker(redis_db)
    killed.send(1)
    killed.fetch()
    heartbeat(redis_db, killed, clock.now - 65)  # killed 55 s before Redis went down, 10 s ago for 5 s
    heartbeat(redis_db, live, clock.now - 15)
    (recovered,) = recovery.run(["default"]).recoveries
    assert recovered.worker == killed.broker.broker_id


def test_the_last_recovery_pass_before_a_restart_dates_the_downtime_when_no_heartbeat_does(redis_db, clock):
    before = fresh_redis(redis_db, clock, uptime=3600.0)
    before.run(["default"])  # a pass 20 s before Redis went down
    clock.advance(20 + 3 + 61)  # down for 3 s, up again for 61 s
    killed = worker(redis_db)
    killed.send(1)
    killed.fetch()
    heartbeat(redis_db, killed, clock.now - 61.5)  # it called in just after the restart, then died
    assert [recovered.worker for recovered in fresh_redis(redis_db, clock, uptime=61.0).run(["default"]).recoveries] == [killed.broker.broker_id]


def test_nothing_is_recovered_soon_after_a_restart_that_left_no_heartbeat_behind(redis_db, clock):
    recovery = fresh_redis(redis_db, clock, uptime=5.0)
    victim = worker(redis_db)
    victim.send(1)
    victim.fetch()
    heartbeat(redis_db, victim, clock.now - 1)  # written after the restart: no trace of the downtime

    result = recovery.run(["default"])

    assert result.skipped == "Redis restarted less than a heartbeat timeout ago, and its downtime is unknown"
    assert result.recoveries == () and recovery.stats().passes == 1


def test_a_delayed_message_a_live_worker_dropped_goes_back_to_its_delay_queue_once_overdue(redis_db, recovery, clock):
    alive = worker(redis_db)
    alive.send("due long ago", delay_ms=1)
    alive.send("not due", delay_ms=3_600_000)
    held = alive.fetch("default.DQ", 2)
    heartbeat(redis_db, alive, clock.now)
    overdue = [data for data in held if data["args"] == ["due long ago"]]

    assert recovery.run(["default"]).recoveries == ()  # due, but not yet a heartbeat timeout late

    clock.advance(61)
    heartbeat(redis_db, alive, clock.now)
    result = recovery.run(["default"])

    assert result.recoveries == (Recovery(at=clock.now, worker=alive.broker.broker_id, kind=STRANDED, queues={"default.DQ": 1}),)
    assert ready(redis_db, "default.DQ") == [redis_id(overdue[0])]
    assert redis_db.scard(f"dramatiq:__acks__.{alive.broker.broker_id}.default.DQ") == 1
    assert recovery.stats().stranded == 1


def test_recovery_works_on_any_namespace(redis_db, clock):
    queues = Queues(redis_db)
    queues.broker.namespace = "other"
    queues.send(1)
    queues.fetch()
    redis_db.zadd("other:__heartbeats__", {queues.broker.broker_id: int((clock.now - 120) * 1000)})
    recovery = OrphanRecovery(
        redis_db, KeySpace("test", "reliability"), namespace="other", heartbeat_timeout_ms=TIMEOUT_MS, clock=clock, redis_uptime=lambda: 3600.0
    )

    assert recovery.run(["default"]).messages == 1
    assert redis_db.llen("other:default") == 1


def test_a_poisoned_message_is_dead_lettered_instead_of_put_back(redis_db, recovery, clock):
    victim = worker(redis_db)
    victim.send("poison")
    victim.send("innocent")
    poison, innocent = victim.fetch("default", 2)
    heartbeat(redis_db, victim, clock.now - 120)

    result = recovery.run(["default"], poison={redis_id(poison).decode()})

    assert result.poisoned == (("default", redis_id(poison).decode()),)
    assert ready(redis_db) == [redis_id(innocent)]
    assert redis_db.zscore("dramatiq:default.XQ", redis_id(poison)) == clock.now * 1000
    assert redis_db.hexists("dramatiq:default.XQ.msgs", redis_id(poison))
    assert not redis_db.hexists("dramatiq:default.msgs", redis_id(poison))
    assert recovery.stats().poisoned == 1


def test_dead_names_the_processes_silent_too_long_or_gone_from_the_heartbeats(redis_db, recovery, clock):
    alive, silent = worker(redis_db), worker(redis_db)
    heartbeat(redis_db, alive, clock.now - 1)
    heartbeat(redis_db, silent, clock.now - 61)
    ids = [alive.broker.broker_id, silent.broker.broker_id, "gone"]
    assert recovery.dead(ids) == [silent.broker.broker_id, "gone"]
