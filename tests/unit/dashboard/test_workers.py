"""Workers publish heartbeats with their running jobs; the board reads live workers back."""

from __future__ import annotations

import pytest
import redis

from scalejobs.dashboard.heartbeat import Heartbeat, Identity
from scalejobs.dashboard.metrics import MinuteCounter
from scalejobs.dashboard.running import RunningJobs, progress
from scalejobs.dashboard.values import Progress
from scalejobs.dashboard.workers import MAX_ARGS_BYTES, WorkerBoard
from tests.conftest import wait_for


def identity(worker_id: str = "w1", **changes) -> Identity:
    values = dict(worker_id=worker_id, host="box", pid=42, queues=("default",), threads=4, started_at=1.0, ecs_task_arn=None)
    return Identity(**{**values, **changes})


def heartbeat(engine, clock, *, worker_id="w1", running=None, counter=None, **changes) -> Heartbeat:
    return Heartbeat(
        board=engine.workers,
        identity=identity(worker_id, **changes),
        running=running or RunningJobs(clock),
        counter=counter,
        clock=clock,
        interval=1.0,
        retention_seconds=8 * 3600,
    )


def test_a_heartbeat_shows_the_worker_with_its_running_jobs_and_their_progress(engine, clock):
    running = RunningJobs(clock)
    running.start(message_id="m1", queue="exports", actor="export_customers", args=[7], kwargs={"fast": True})
    progress(30, 120, "row 30")
    clock.advance(5)
    running.start(message_id="m2", queue="default", actor="welcome", args=[], kwargs={})
    beat = heartbeat(engine, clock, running=running, ecs_task_arn="arn:aws:ecs:eu-west-1:1:task/c/abc")

    beat.beat()

    [worker] = engine.workers.workers()
    assert (worker.host, worker.pid, worker.queues, worker.threads, worker.busy) == ("box", 42, ("default",), 4, 2)
    assert (worker.last_heartbeat, worker.ecs_task_arn, worker.stopping) == (clock.now, "arn:aws:ecs:eu-west-1:1:task/c/abc", False)
    first, second = engine.workers.running()
    assert (first.actor, first.args, first.kwargs, first.host) == ("export_customers", [7], {"fast": True}, "box")
    assert first.progress == Progress(done=30, total=120, message="row 30", updated_at=clock.now - 5)
    assert first.progress.percent == 25
    assert (second.actor, second.progress) == ("welcome", None)
    assert engine.progress_of(["m1", "m2", "elsewhere"]) == {"m1": first.progress, "m2": None}
    assert engine.queues.names() == ["default"]


def test_a_finished_job_leaves_the_next_heartbeat(engine, clock):
    running = RunningJobs(clock)
    running.start(message_id="m1", queue="default", actor="a", args=[], kwargs={})
    beat = heartbeat(engine, clock, running=running)
    beat.beat()
    running.finish("m1")
    beat.beat()
    assert engine.workers.running() == []


def test_a_worker_that_stops_beating_drops_off_when_its_key_expires(redis_db, engine, clock):
    board = WorkerBoard(redis_db, engine.keys, clock, timeout_seconds=0.2)
    board.beat(heartbeat(engine, clock).snapshot())
    assert [worker.worker_id for worker in board.workers()] == ["w1"]
    wait_for(lambda: board.workers() == [], timeout=10)


def test_a_worker_leaving_is_gone_at_once(engine, clock):
    beat = heartbeat(engine, clock)
    beat.beat()
    beat.stop()
    assert engine.workers.workers() == []


def test_huge_arguments_are_replaced_by_a_note_in_the_heartbeat(engine, clock):
    running = RunningJobs(clock)
    running.start(message_id="m1", queue="default", actor="a", args=["x" * MAX_ARGS_BYTES], kwargs={})
    heartbeat(engine, clock, running=running).beat()
    [job] = engine.workers.running()
    assert job.args == [f"({MAX_ARGS_BYTES + 4} bytes, too long to show)"]


def test_counts_reach_the_minute_they_happened_in(engine, clock):
    counter = MinuteCounter(clock)
    clock.now = 60 * int(clock.now // 60)
    counter.count(failed=False)
    counter.count(failed=True)
    clock.advance(60)
    counter.count(failed=False)
    counter.count(failed=False)
    beat = heartbeat(engine, clock, counter=counter)

    beat.beat()
    beat.beat()

    *_, before, last = engine.throughput.minutes(60)
    assert (before.processed, before.failed, last.processed, last.failed) == (1, 1, 2, 0)
    assert len(engine.throughput.minutes(60)) == 60


def test_counts_survive_a_heartbeat_that_cannot_reach_redis(engine, clock):
    counter = MinuteCounter(clock)
    counter.count(failed=True)
    dead = WorkerBoard(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), engine.keys, clock, timeout_seconds=30)
    beat = heartbeat(engine, clock, counter=counter)
    beat.board = dead

    beat.beat()

    assert counter.drain() == {int(clock.now // 60): (0, 1)}


def test_per_minute_counts_expire_after_the_retention(redis_db, engine, clock):
    counter = MinuteCounter(clock)
    counter.count(failed=False)
    heartbeat(engine, clock, counter=counter).beat()
    assert redis_db.ttl(engine.keys.minute(int(clock.now // 60))) == 8 * 3600


def test_progress_outside_a_running_job_does_nothing():
    progress(1, 2, "nobody listens")


@pytest.mark.parametrize(("done", "total"), [(-1, None), (True, None), (float("nan"), None), (1, 0), (1, "10")])
def test_progress_refuses_nonsense(done, total):
    with pytest.raises(ValueError):
        progress(done, total)
