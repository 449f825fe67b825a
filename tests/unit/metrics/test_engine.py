"""A reading of the metrics equals the queue and fleet state in Redis, at a fixed cost."""

from __future__ import annotations

import json

from scalejobs.dashboard.values import ActorTotals
from scalejobs.metrics import Fleet, QueueMetrics
from tests.unit.metrics.state import set_up


def test_a_snapshot_holds_every_queue_worker_and_actor_count_set_up(metrics, engine, queues, clock):
    set_up(engine, queues, clock)

    snapshot = metrics.snapshot(["default", "exports", "idle"])

    assert snapshot.at == clock.now
    assert snapshot.queues == (
        QueueMetrics(queue="default", backlog=3, latency=41.0, delayed=1, in_flight=1),
        QueueMetrics(queue="exports", backlog=2, latency=7.0, delayed=0, in_flight=0),
        QueueMetrics(queue="idle", backlog=0, latency=0.0, delayed=0, in_flight=0),
    )
    assert snapshot.fleet == Fleet(workers=3, tasks=2, threads=16, busy_threads=3)
    assert snapshot.fleet.utilization == 100 * 3 / 16
    assert snapshot.backlog_per_task == 5 / 2
    assert snapshot.actors == (
        ActorTotals(actor="export", processed=3, failed=1, seconds=10.0),
        ActorTotals(actor="send_mail", processed=1, failed=0, seconds=0.5),
    )
    assert json.loads(json.dumps(snapshot.as_json()))["fleet"]["backlog_per_task"] == 2.5


def test_backlog_per_task_with_no_task_is_the_whole_backlog_so_scale_out_from_zero_starts(metrics, queues):
    queues.send(1)
    queues.send(2)
    snapshot = metrics.snapshot(["default"])
    assert (snapshot.fleet.tasks, snapshot.backlog_per_task) == (0, 2)


def test_a_reading_under_100k_queued_messages_takes_a_few_commands_and_never_scans(metrics, engine, queues, clock, redis_db):
    set_up(engine, queues, clock)
    with redis_db.pipeline(transaction=False) as pipe:
        for start in range(0, 100_000, 5_000):
            ids = [f"filler-{number}" for number in range(start, start + 5_000)]
            pipe.rpush("dramatiq:default", *ids)
            pipe.hset("dramatiq:default.msgs", mapping={redis_id: "{}" for redis_id in ids})
        pipe.execute()
    redis_db.config_resetstat()

    snapshot = metrics.snapshot(["default", "exports"])

    stats = redis_db.info("commandstats")
    called = {name.removeprefix("cmdstat_"): row["calls"] for name, row in stats.items()}
    called.pop("info", None)
    assert snapshot.queues[0].backlog == 100_003
    assert not {"scan", "keys", "hscan", "sscan", "zscan", "lrange"} & set(called), called
    assert sum(called.values()) <= 20, called



def test_per_actor_counts_of_a_beat_that_failed_are_written_by_the_next_one(metrics, engine, clock, tmp_path):
    import redis

    from scalejobs.dashboard.heartbeat import Heartbeat, Identity
    from scalejobs.dashboard.metrics import MinuteCounter
    from scalejobs.dashboard.running import RunningJobs
    from scalejobs.dashboard.workers import WorkerBoard
    from tests.unit.metrics.state import beat

    counter = MinuteCounter(clock)
    counter.count(failed=True, actor="export", seconds=2.5)
    away = redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), socket_connect_timeout=0.5)
    board = WorkerBoard(away, engine.keys, clock, timeout_seconds=30)
    heartbeat = Heartbeat(
        board=board,
        identity=Identity(worker_id="w0", host="box", pid=1, queues=(), threads=1, started_at=clock.now, ecs_task_arn=None),
        running=RunningJobs(clock),
        counter=counter,
        clock=clock,
        interval=1.0,
        retention_seconds=3600,
    )
    heartbeat.beat()
    assert metrics.snapshot().actors == ()

    beat(engine, clock, "w1", host="box", threads=1, busy=0, counter=counter)
    assert metrics.snapshot().actors == (ActorTotals(actor="export", processed=0, failed=1, seconds=2.5),)
