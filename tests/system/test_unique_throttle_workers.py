"""Unique jobs and throttles across real processes: racing producers and rundramatiq workers."""

import json
import os
import signal
import subprocess
import sys

import pytest

from scalejobs.throttle import throttles
from scalejobs.unique import unique_jobs
from tests.conftest import ROOT, wait_for
from tests.testapp import throttle_tasks, unique_tasks

pytestmark = pytest.mark.system

# Short postponements, so the throttled tests finish in seconds.
FAST_THROTTLE = {"SCALEJOBS_TEST_OVERRIDES": json.dumps({"THROTTLE": {"BACKOFF": 0.05, "MAX_BACKOFF": 0.5}})}
# A start is recorded a moment after the throttle admitted it; no lag on this machine comes near this.
RECORDING_LAG = 0.3


def notes(redis_db, key):
    return [entry.decode().split("|") for entry in redis_db.lrange(key, 0, -1)]


def unique_notes(redis_db, what):
    return [note[1:-1] for note in notes(redis_db, unique_tasks.RECORD) if note[0] == what]


def starts(redis_db, what):
    return sorted(float(note[2]) for note in notes(redis_db, throttle_tasks.RECORD) if note[0] == what)


def race(redis_db, job, token, processes, threads):
    """Start ``processes`` producers of ``threads`` threads; let them all enqueue at once; return (sent, refused)."""
    redis_db.delete("tests:race:ready", "tests:race:go")
    command = [sys.executable, "-m", "tests.system.unique_race", job, token, str(threads)]
    # Marked as a test's subprocess, so it joins this run's Redis instead of starting its own.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SCALEJOBS_WORKER_OF_TESTS": "1"}
    producers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    try:
        wait_for(lambda: int(redis_db.get("tests:race:ready") or 0) == processes, timeout=90)
        redis_db.set("tests:race:go", 1)
        counts = [tuple(map(int, producer.communicate(timeout=60)[0].split())) for producer in producers]
    finally:
        for producer in producers:
            producer.kill()
    assert all(producer.returncode == 0 for producer in producers)
    return sum(sent for sent, _ in counts), sum(refused for _, refused in counts)


def queued(redis_db, queue):
    return redis_db.hlen(f"dramatiq:{queue}.msgs")


def test_eight_processes_of_25_threads_enqueue_the_same_unique_job_exactly_once(broker, redis_db):
    assert race(redis_db, "unique_record", "same", processes=8, threads=25) == (1, 199)
    assert queued(redis_db, unique_tasks.QUEUE) == 1


def test_with_unique_until_start_at_most_one_waits_while_one_runs(broker, redis_db, start_worker):
    # One thread: the job accepted while the first runs must stay waiting.
    start_worker("--processes", "1", "--threads", "1", "--queues", unique_tasks.QUEUE)
    unique_tasks.unique_until_start.perform_later("job")
    wait_for(lambda: unique_notes(redis_db, "started"), timeout=60)
    assert race(redis_db, "unique_until_start", "job", processes=4, threads=50) == (1, 199)
    redis_db.set("tests:unique:finish", 1)
    wait_for(lambda: len(unique_notes(redis_db, "finished")) == 2, timeout=60)


def test_a_unique_job_keeps_its_lock_through_retries_and_frees_it_on_success_and_on_death(broker, redis_db, start_worker):
    start_worker("--processes", "1", "--threads", "2", "--queues", unique_tasks.QUEUE)
    healed = unique_tasks.unique_flaky.perform_later("healed", 2)
    doomed = unique_tasks.unique_flaky.perform_later("doomed", 5)  # max_retries=2: dies after 3 attempts

    def released(message):
        return unique_jobs().holder(message.options["scalejobs_unique"]) is None

    wait_for(lambda: unique_notes(redis_db, "succeeded") and released(healed), timeout=60)
    assert [note[:2] for note in unique_notes(redis_db, "duplicate-refused") if note[0] == "healed"] == [
        ["healed", "1"],
        ["healed", "2"],
        ["healed", "3"],
    ]
    wait_for(lambda: redis_db.zcard(f"dramatiq:{unique_tasks.QUEUE}.XQ") == 1 and released(doomed), timeout=60)
    assert len([note for note in unique_notes(redis_db, "duplicate-refused") if note[0] == "doomed"]) == 3
    assert unique_notes(redis_db, "duplicate-accepted") == []
    assert unique_tasks.unique_flaky.perform_later("healed", 2) is not None
    assert unique_tasks.unique_flaky.perform_later("doomed", 5) is not None


def test_concurrency_3_holds_across_two_workers_and_no_job_uses_a_retry(broker, redis_db, start_worker):
    for _ in range(2):
        start_worker("--processes", "1", "--threads", "8", "--queues", throttle_tasks.QUEUE, env=FAST_THROTTLE)
    for n in range(60):
        throttle_tasks.concurrency_probe.perform_later(f"job-{n}")
    wait_for(lambda: len(notes(redis_db, throttle_tasks.RECORD)) >= 60, timeout=120)
    ran = sorted(note[1] for note in notes(redis_db, throttle_tasks.RECORD))
    assert ran == sorted(f"job-{n}" for n in range(60))  # each exactly once
    assert int(redis_db.get("tests:throttle:most")) == 3
    assert len({note[-1] for note in notes(redis_db, throttle_tasks.RECORD)}) == 2  # both workers ran jobs
    assert redis_db.zcard(f"dramatiq:{throttle_tasks.QUEUE}.XQ") == 0  # max_retries=0: a retry would be dead


def test_window_and_bucket_limits_hold_for_starts_measured_by_the_jobs(broker, redis_db, start_worker):
    start_worker("--processes", "1", "--threads", "8", "--queues", throttle_tasks.QUEUE, env=FAST_THROTTLE)
    for n in range(30):
        throttle_tasks.window_probe.perform_later(f"w-{n}")
    for n in range(24):
        throttle_tasks.combined_probe.perform_later(f"c-{n}")
    wait_for(lambda: len(starts(redis_db, "window")) == 30 and len(starts(redis_db, "combined")) == 24, timeout=120)

    def most_in_any(times, span):
        return max(len([t for t in times if first <= t < first + span]) for first in times)

    # Starts recorded in a span of per - lag were admitted within one span of per.
    assert most_in_any(starts(redis_db, "window"), 2 - RECORDING_LAG) <= 10
    combined = starts(redis_db, "combined")
    assert most_in_any(combined, 1 - RECORDING_LAG) <= 5
    buckets = {int(t // 3) for t in combined}
    assert all(len([t for t in combined if number * 3 + RECORDING_LAG <= t < (number + 1) * 3]) <= 8 for number in buckets)
    refusals = {row.ident: row.throttled for row in throttles().usage()}
    assert refusals["window:2000:window_probe"] > 0 and refusals["bucket:3000:combined_probe"] > 0


def test_a_sigkilled_holders_slot_comes_back_after_the_lock_timeout(broker, redis_db, start_worker):
    doomed = start_worker("--processes", "1", "--threads", "2", "--queues", throttle_tasks.QUEUE, env=FAST_THROTTLE)
    throttle_tasks.slot_holder.perform_later("holder")
    wait_for(lambda: any(note[0] == "holding" for note in notes(redis_db, throttle_tasks.RECORD)), timeout=60)
    doomed.signal(signal.SIGKILL)
    doomed.process.wait(10)
    start_worker("--processes", "1", "--threads", "2", "--queues", throttle_tasks.QUEUE, env=FAST_THROTTLE)
    for n in range(3):
        throttle_tasks.slot_follower.perform_later(f"f-{n}")
    wait_for(lambda: len([note for note in notes(redis_db, throttle_tasks.RECORD) if note[0] == "followed"]) == 3, timeout=60)
    (row,) = [row for row in throttles().usage() if row.ident == "concurrency:kill"]
    assert row.reclaimed == 1
