"""A known queue and fleet state in Redis, written the way Dramatiq and the workers write it."""

from __future__ import annotations

from scalejobs.dashboard.heartbeat import Heartbeat, Identity
from scalejobs.dashboard.metrics import MinuteCounter
from scalejobs.dashboard.running import RunningJobs

TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/jobs/0123456789abcdef"


def beat(engine, clock, worker_id: str, *, host: str, threads: int, busy: int, arn: str | None = None, counter=None) -> None:
    running = RunningJobs(clock)
    for number in range(busy):
        running.start(message_id=f"{worker_id}-{number}", queue="default", actor="export", args=[], kwargs={})
    identity = Identity(
        worker_id=worker_id, host=host, pid=len(worker_id), queues=("default",), threads=threads, started_at=clock.now, ecs_task_arn=arn
    )
    heartbeat = Heartbeat(
        board=engine.workers, identity=identity, running=running, counter=counter, clock=clock, interval=1.0, retention_seconds=3600
    )
    heartbeat.beat()


def set_up(engine, queues, clock) -> None:
    """Write: default 3 ready (oldest 42 s), 1 delayed, 1 in flight; exports 2 ready (7 s);
    3 workers on 2 tasks with 4 + 4 + 8 threads, 1 + 2 + 0 busy; export ran 4 times (1 failed, 10 s in all), mail once."""
    for number in range(4):
        queues.send(number, enqueued_at=clock.now - 42 + number)
    queues.fetch(count=1)
    queues.send("later", delay_ms=60_000)
    queues.send("a", queue="exports", enqueued_at=clock.now - 7)
    queues.send("b", queue="exports", enqueued_at=clock.now - 1)
    counter = MinuteCounter(clock)
    for seconds, failed in ((1.0, False), (2.0, False), (3.0, False), (4.0, True)):
        counter.count(failed=failed, actor="export", seconds=seconds)
    counter.count(failed=False, actor="send_mail", seconds=0.5)
    beat(engine, clock, "w1", host="box-a", threads=4, busy=1, counter=counter)
    beat(engine, clock, "w2", host="box-a", threads=4, busy=2)
    beat(engine, clock, "w3", host="ip-10-0-0-1", threads=8, busy=0, arn=TASK_ARN)
