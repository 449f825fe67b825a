"""Recovery of silent worker processes, judged by their pulses on Redis time, against a real Redis."""

from __future__ import annotations


import pytest

from scalejobs.keys import KeySpace
from scalejobs.reliability.recovery import OrphanRecovery, Silent
from tests.dramatiq_queues import Queues

SILENCE_MS = 10_000


@pytest.fixture
def recovery(redis_db):
    return OrphanRecovery(
        redis_db, KeySpace("test", "reliability"), namespace="dramatiq", heartbeat_timeout_ms=60_000, silence_ms=SILENCE_MS, redis_uptime=lambda: 3600.0
    )


def pulsing(recovery, redis_db, queues=("default", "default.DQ")) -> Queues:
    """Return a stand-in worker process that has pulsed once, listing ``queues``."""
    process = Queues(redis_db)
    recovery.pulses.pulse(process.broker.broker_id, queues=list(queues), stats_key=recovery.stats_key)
    return process


def silence(recovery, redis_db, process: Queues, seconds: float) -> None:
    """Date ``process``'s last pulse ``seconds`` before Redis's now."""
    last = recovery.pulses.now() - int(seconds * 1000)
    redis_db.zadd(recovery.pulses.pulses_key, {process.broker.broker_id: last})


def ids(messages) -> list[bytes]:
    return [message["options"]["redis_message_id"].encode() for message in messages]


def test_a_process_silent_past_the_silence_has_its_messages_put_back_at_the_head_of_their_queues(recovery, redis_db):
    victim = pulsing(recovery, redis_db)
    for number in range(4):
        victim.send(number)
    taken = victim.fetch("default", 3)
    silence(recovery, redis_db, victim, 10.5)

    silent = recovery.silent()
    result = recovery.run_silent(silent)

    assert silent.workers == (victim.broker.broker_id,) and result.workers == (victim.broker.broker_id,)
    (recovered,) = result.recoveries
    assert recovered.queues == {"default": 3} and recovered.by == "pulse"
    assert 10.5 <= recovered.delay < 12
    assert set(redis_db.lrange("dramatiq:default", 0, 2)) == set(ids(taken)) and redis_db.llen("dramatiq:default") == 4
    assert not redis_db.exists(f"dramatiq:__acks__.{victim.broker.broker_id}.default")
    assert recovery.silent().workers == ()
    stats = recovery.stats()
    assert (stats.workers, stats.messages, stats.timed) == (1, 3, 1) and stats.delay_max == recovered.delay
    assert recovery.recent()[0].delay == recovered.delay


def test_a_process_that_pulsed_within_the_silence_keeps_its_messages(recovery, redis_db):
    alive = pulsing(recovery, redis_db)
    alive.send(1)
    alive.fetch()
    silence(recovery, redis_db, alive, 9.0)

    silent = recovery.silent()

    assert silent.workers == ()
    assert recovery.run_silent(Silent(now=silent.now, cutoff=silent.cutoff, workers=(alive.broker.broker_id,))).workers == ()
    assert redis_db.scard(f"dramatiq:__acks__.{alive.broker.broker_id}.default") == 1


def test_a_process_that_pulses_between_the_look_up_and_the_move_keeps_its_messages(recovery, redis_db):
    late = pulsing(recovery, redis_db)
    late.send(1)
    late.fetch()
    silence(recovery, redis_db, late, 11.0)
    silent = recovery.silent()
    recovery.pulses.pulse(late.broker.broker_id, queues=["default"], stats_key=recovery.stats_key)

    assert silent.workers and recovery.run_silent(silent).workers == ()
    assert redis_db.scard(f"dramatiq:__acks__.{late.broker.broker_id}.default") == 1


def test_dramatiqs_own_maintenance_finds_nothing_left_to_redeliver(recovery, redis_db):
    victim = pulsing(recovery, redis_db)
    victim.send(1)
    victim.fetch()
    silence(recovery, redis_db, victim, 11.0)
    recovery.run_silent(recovery.silent())
    redis_db.zadd("dramatiq:__heartbeats__", {victim.broker.broker_id: 0})

    # Another process's broker call with Dramatiq's maintenance pass forced on.
    other = Queues(redis_db)
    other.broker.scripts["dispatch"](
        keys=["dramatiq"], args=["fetch", recovery.pulses.now(), "default", other.broker.broker_id, 60_000, 86_400_000, 1, 1000, 0]
    )

    assert redis_db.llen("dramatiq:default") == 1
    assert redis_db.zscore("dramatiq:__heartbeats__", victim.broker.broker_id) is None


def test_a_plain_dramatiq_worker_never_pulses_and_keeps_the_heartbeat_timeout(recovery, redis_db):
    plain = Queues(redis_db)
    plain.send(1)
    plain.fetch()
    redis_db.zadd("dramatiq:__heartbeats__", {plain.broker.broker_id: recovery.pulses.now() - 30_000})

    assert recovery.silent().workers == () and recovery.run(["default"]).recoveries == ()
    assert redis_db.scard(f"dramatiq:__acks__.{plain.broker.broker_id}.default") == 1


def test_the_heartbeat_timeout_spares_a_process_whose_pulse_is_fresh(recovery, redis_db):
    busy = pulsing(recovery, redis_db)
    busy.send(1)
    busy.fetch()
    redis_db.zadd("dramatiq:__heartbeats__", {busy.broker.broker_id: recovery.pulses.now() - 120_000})

    assert recovery.run(["default"]).recoveries == ()
    assert redis_db.scard(f"dramatiq:__acks__.{busy.broker.broker_id}.default") == 1


def restarted(redis_db, uptime: float) -> OrphanRecovery:
    """Return recovery on a Redis that restarted ``uptime`` seconds ago."""
    return OrphanRecovery(
        redis_db, KeySpace("test", "reliability"), namespace="dramatiq", heartbeat_timeout_ms=60_000, silence_ms=SILENCE_MS, redis_uptime=lambda: uptime
    )


def test_silence_while_redis_was_down_does_not_count(redis_db):
    # Redis went down 36 s ago and came back 6 s ago; a live process has not pulsed again yet.
    fresh = restarted(redis_db, uptime=6.0)
    long_dead, just_killed, reconnecting = (pulsing(fresh, redis_db) for _ in range(3))
    silence(fresh, redis_db, long_dead, 47.0)  # 11 s of silence before the outage
    silence(fresh, redis_db, just_killed, 37.0)  # 1 s before it
    silence(fresh, redis_db, reconnecting, 36.2)

    assert fresh.silent().workers == (long_dead.broker.broker_id,)


def test_nobody_is_judged_soon_after_a_restart_that_left_no_pulse_behind(redis_db):
    fresh = restarted(redis_db, uptime=5.0)
    victim = pulsing(fresh, redis_db)
    redis_db.zadd(fresh.pulses.pulses_key, {victim.broker.broker_id: fresh.pulses.now() - 1000})  # after the restart

    assert fresh.silent().workers == ()


def test_a_paused_process_learns_at_its_next_pulse_that_its_jobs_were_recovered_and_is_counted(recovery, redis_db):
    paused = pulsing(recovery, redis_db)
    paused.send(1)
    paused.send(2)
    paused.fetch("default", 2)
    silence(recovery, redis_db, paused, 12.0)
    recovery.run_silent(recovery.silent())

    presumed = recovery.pulses.pulse(paused.broker.broker_id, queues=["default"], stats_key=recovery.stats_key)

    assert presumed is not None and presumed.messages == 2 and 12 <= presumed.silence < 14
    assert recovery.pulses.pulse(paused.broker.broker_id, queues=["default"], stats_key=recovery.stats_key) is None
    stats = recovery.stats()
    assert (stats.resumed, stats.resumed_messages) == (1, 2)


def test_a_pulse_names_the_processs_queues_and_a_clean_stop_forgets_them(recovery, redis_db):
    pulses = recovery.pulses
    pulses.pulse("w1", queues=["reports", "default"], stats_key=recovery.stats_key)

    assert pulses.queues_of("w1") == ["default", "reports"]
    assert pulses.known_queues() == {"default", "reports"}
    pulses.leave("w1")
    assert pulses.queues_of("w1") == [] and pulses.silent_since(pulses.now() + 1) == []


def test_a_clean_stop_leaves_the_pulses_unless_messages_are_still_unacknowledged(recovery, redis_db):
    clean, careless = pulsing(recovery, redis_db), pulsing(recovery, redis_db)
    careless.send(1)
    careless.fetch()

    assert recovery.leave(clean.broker.broker_id) is True
    assert recovery.leave(careless.broker.broker_id) is False
    assert redis_db.zrange(recovery.pulses.pulses_key, 0, -1) == [careless.broker.broker_id.encode()]


def test_other_processes_wait_a_grace_beyond_the_silence_before_stepping_in_for_the_leader(recovery, redis_db):
    victim = pulsing(recovery, redis_db)
    victim.send(1)
    victim.fetch()
    silence(recovery, redis_db, victim, 11.0)

    early = recovery.silent(grace=2.0)
    assert early.workers == ()
    assert recovery.run_silent(Silent(now=early.now, cutoff=early.cutoff, workers=(victim.broker.broker_id,))).workers == ()
    silence(recovery, redis_db, victim, 12.5)
    assert recovery.run_silent(recovery.silent(grace=2.0)).messages == 1
