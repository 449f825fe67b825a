"""Crash recovery within seconds, with the default settings, in real rundramatiq workers.

Each test starts its own workers with no RELIABILITY or LEADER overrides:
a process silent for ``SILENCE_SECONDS`` (10 s) is presumed dead and its
jobs go back at the head of their queues; the target is every job running
again within 15 s of the SIGKILL. Queue prefetch is set to the thread
count, so each worker holds exactly the jobs it runs.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from scalejobs.leader import current_leader
from scalejobs.reliability import orphan_recovery
from tests.conftest import wait_for
from tests.testapp.reliability_tasks import RELEASE, RUNS, STARTS, hold_the_only_slot, hold_until_released, spin

pytestmark = pytest.mark.system

TARGET_SECONDS = 15.0


@pytest.fixture
def worker(start_worker, broker):
    """Start a rundramatiq master with one worker process of ``threads`` threads, prefetching as many."""

    def start(threads: int = 8, *args: str):
        env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "dramatiq_queue_prefetch": str(threads)}
        return start_worker("--processes", "1", "--threads", str(threads), *args, env=env)

    return start


def child(master) -> int:
    """Return the pid of the master's worker process once it has booted."""

    def found() -> int | None:
        path = Path(f"/proc/{master.pid}/task/{master.pid}/children")
        pids = [int(pid) for pid in path.read_text().split()] if path.exists() else []
        return pids[0] if pids else None

    return int(wait_for(found, timeout=60))


def leads(master) -> bool:
    leader = current_leader()
    return leader is not None and leader.pid == child(master)


def starts(redis_db) -> list[str]:
    return [raw.decode() for raw in redis_db.lrange(STARTS, 0, -1)]


def started(redis_db, message_ids: set[str], *, after: float = 0.0) -> dict[str, float]:
    """Return when each of ``message_ids`` started (its first start after ``after``)."""
    found: dict[str, float] = {}
    for record in starts(redis_db):
        message_id, _, _, at, *_ = record.split("|")
        if message_id in message_ids and float(at) > after and message_id not in found:
            found[message_id] = float(at)
    return found


def hold(count: int) -> set[str]:
    return {hold_until_released.send(f"job-{number}").message_id for number in range(count)}


def pulses(redis_db) -> int:
    return redis_db.zcard("scalejobs:reliability:pulses")


def test_sigkilling_one_of_two_processes_holding_eight_running_jobs_runs_all_eight_again_within_15_s(worker, redis_db):
    leader = worker()
    wait_for(lambda: leads(leader), timeout=60)
    survivors_jobs = hold(8)
    wait_for(lambda: len(started(redis_db, survivors_jobs)) == 8, timeout=60)
    victim = worker()
    wait_for(lambda: pulses(redis_db) == 2, timeout=60)
    victims_jobs = hold(8)
    wait_for(lambda: len(started(redis_db, victims_jobs)) == 8, timeout=60)

    victim_process = child(victim)
    killed_at = time.time()
    os.kill(victim_process, signal.SIGKILL)  # the worker process only, as the OOM killer does
    redis_db.set(RELEASE, 1)  # the survivor's own jobs end, freeing its threads for the recovered ones

    again = wait_for(lambda: (found := started(redis_db, victims_jobs, after=killed_at)) and len(found) == 8 and found, timeout=60)
    assert max(again.values()) - killed_at <= TARGET_SECONDS, sorted(at - killed_at for at in again.values())
    (recovered,) = orphan_recovery().recent()
    assert recovered.messages == 8 and recovered.by == "pulse" and recovered.delay is not None and recovered.delay <= TARGET_SECONDS


def test_sigkilling_a_whole_task_with_the_leader_runs_its_jobs_again_within_15_s_their_slots_freed(worker, redis_db):
    task = worker()
    wait_for(lambda: leads(task), timeout=60)
    # One job holds the only slot of a limiter whose dead holder would otherwise keep it for 2 minutes.
    jobs = hold(7) | {hold_the_only_slot.send("slot").message_id}
    wait_for(lambda: len(started(redis_db, jobs)) == 8, timeout=60)
    other = worker()
    wait_for(lambda: pulses(redis_db) == 2, timeout=60)

    killed_at = time.time()
    task.signal(signal.SIGKILL)  # the whole process group, master and worker process, as ECS does after stopTimeout

    again = wait_for(lambda: (found := started(redis_db, jobs, after=killed_at)) and len(found) == 8 and found, timeout=60)
    assert max(again.values()) - killed_at <= TARGET_SECONDS, sorted(at - killed_at for at in again.values())
    redis_db.set(RELEASE, 1)
    # Recovered before the dead leader's lease lapsed (another process steps in a pulse after the silence); then the lead moves.
    wait_for(lambda: leads(other), timeout=30)


def test_a_process_paused_for_5_s_keeps_its_jobs(worker, redis_db):
    leader = worker(1, "--queues", "idle")  # leads, and runs nothing of its own
    wait_for(lambda: leads(leader), timeout=60)
    paused = worker(2)
    jobs = hold(2)
    wait_for(lambda: len(started(redis_db, jobs)) == 2, timeout=60)
    process = child(paused)

    os.kill(process, signal.SIGSTOP)
    stopped_at = time.time()
    wait_for(lambda: time.time() - stopped_at >= 5, timeout=10, interval=0.2)
    os.kill(process, signal.SIGCONT)
    key = "scalejobs:reliability:pulses"
    wait_for(lambda: all(score / 1000 > stopped_at + 5 for _, score in redis_db.zrange(key, 0, -1, withscores=True)), timeout=30)

    redis_db.set(RELEASE, 1)
    wait_for(lambda: redis_db.hlen(RUNS) == 2, timeout=30)
    stats = orphan_recovery().stats()
    assert (stats.workers, stats.messages, stats.resumed) == (0, 0, 0)
    assert {int(count) for count in redis_db.hvals(RUNS)} == {1} and len(starts(redis_db)) == 2


def test_a_process_paused_past_the_silence_has_its_jobs_run_again_and_counts_itself_resumed(worker, redis_db):
    leader = worker(1, "--queues", "idle")
    wait_for(lambda: leads(leader), timeout=60)
    paused = worker(2)
    jobs = hold(2)
    wait_for(lambda: len(started(redis_db, jobs)) == 2, timeout=60)
    process = child(paused)

    os.kill(process, signal.SIGSTOP)
    wait_for(lambda: orphan_recovery().stats().messages == 2, timeout=60)
    os.kill(process, signal.SIGCONT)
    redis_db.set(RELEASE, 1)

    wait_for(lambda: orphan_recovery().stats().resumed == 1, timeout=30)
    assert orphan_recovery().stats().resumed_messages == 2
    # At least once: each job finished in the resumed process, and again when it fetched the recovered copy.
    wait_for(lambda: redis_db.hlen(RUNS) == 2 and len(starts(redis_db)) == 4, timeout=30)
    assert wait_for(lambda: "presumed dead" in paused.output(), timeout=10)


def test_a_job_running_a_pure_python_loop_for_20_s_does_not_make_its_process_look_dead(worker, redis_db):
    leader = worker(1, "--queues", "idle")
    wait_for(lambda: leads(leader), timeout=60)
    busy = worker(1)
    message = spin.send(20.0)

    wait_for(lambda: redis_db.hget(RUNS, message.message_id), timeout=90)
    stats = orphan_recovery().stats()
    assert (stats.workers, stats.messages) == (0, 0)
    assert [record.split("|")[0] for record in starts(redis_db)] == [message.message_id]
    assert busy.process.poll() is None
