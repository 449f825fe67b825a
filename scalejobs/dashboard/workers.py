"""Publish each worker's heartbeat, and read every live worker and running job back.

A heartbeat is one ``MULTI``: the worker's JSON (identity, queues, running
jobs with their progress) under ``worker:<id>`` with a TTL of the worker
timeout, its id in the ``workers`` zset, its queues in ``queues``, the
metrics counted since the last beat, and a read of the ``skips`` zset. A
worker is alive exactly while its key exists, so liveness is decided by
Redis's clock, not by comparing the clocks of two machines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, cast

import redis

from ..clock import Clock
from ..kernel.replies import text
from .keys import DashboardKeys
from .metrics import ActorCounts, Counts, write_actor_counts, write_counts
from .queues import Skips
from .values import Progress, RunningJob, WorkerInfo

# Ids of workers silent this long leave the ``workers`` index (their keys expired long before).
FORGET_MS = 3600 * 1000
# A running job's arguments above this many bytes of JSON are replaced by a note.
MAX_ARGS_BYTES = 4096


class WorkerBoard:
    """Where workers report, and where the dashboard reads them."""

    def __init__(self, client: redis.Redis, keys: DashboardKeys, clock: Clock, *, timeout_seconds: float) -> None:
        self.client = client
        self.keys = keys
        self.clock = clock
        self.timeout_ms = int(timeout_seconds * 1000)

    def beat(
        self,
        worker: WorkerInfo,
        counts: Counts | None = None,
        *,
        retention_seconds: int = 86400,
        actors: ActorCounts | None = None,
    ) -> Skips:
        """Publish ``worker``, ``counts`` and per-actor ``actors``; return the skip entries workers must honour."""
        now_ms = int(self.clock() * 1000)
        keys = self.keys
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(keys.worker(worker.worker_id), json.dumps(_encode(worker)), px=self.timeout_ms)
            pipe.zadd(keys.workers, {worker.worker_id: now_ms})
            pipe.zremrangebyscore(keys.workers, "-inf", now_ms - FORGET_MS)
            if worker.queues:
                pipe.sadd(keys.queues, *worker.queues)
            write_counts(pipe, keys, counts or {}, retention_seconds=retention_seconds)
            write_actor_counts(pipe, keys, actors or {})
            pipe.zremrangebyscore(keys.skips, "-inf", now_ms)
            pipe.zrange(keys.skips, 0, -1)
            results = pipe.execute()
        return Skips.parse(results[-1])

    def skips(self) -> Skips:
        """Return the skip entries workers must honour now."""
        members = cast(list[bytes], self.client.zrangebyscore(self.keys.skips, int(self.clock() * 1000), "+inf"))
        return Skips.parse(members)

    def leave(self, worker_id: str) -> None:
        """Take a stopped worker off the board."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.workers, worker_id)
            pipe.delete(self.keys.worker(worker_id))
            pipe.execute()

    def workers(self) -> list[WorkerInfo]:
        """Return every live worker, by host and pid."""
        ids = [text(worker_id) for worker_id in cast(list[bytes], self.client.zrange(self.keys.workers, 0, -1))]
        if not ids:
            return []
        raws = self.client.mget([self.keys.worker(worker_id) for worker_id in ids])
        workers = [_decode(json.loads(raw)) for raw in raws if raw is not None]
        return sorted(workers, key=lambda worker: (worker.host, worker.pid, worker.worker_id))

    def running(self) -> list[RunningJob]:
        """Return every job in flight across all workers, oldest first."""
        jobs = [job for worker in self.workers() for job in worker.running]
        return sorted(jobs, key=lambda job: job.started_at)

    def progress_of(self, message_ids: Iterable[str]) -> dict[str, Progress | None]:
        """Return the progress of each given message that is running; absent ids are not running."""
        wanted = set(message_ids)
        return {job.message_id: job.progress for job in self.running() if job.message_id in wanted}


def _bounded(value: Any) -> Any:
    text = json.dumps(value, default=repr)
    if len(text) <= MAX_ARGS_BYTES:
        return json.loads(text)
    return f"({len(text)} bytes, too long to show)"


def _encode(worker: WorkerInfo) -> dict[str, Any]:
    return {
        "id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
        "queues": list(worker.queues),
        "threads": worker.threads,
        "started_at": worker.started_at,
        "last_heartbeat": worker.last_heartbeat,
        "stopping": worker.stopping,
        "ecs_task_arn": worker.ecs_task_arn,
        "running": [
            {
                "message_id": job.message_id,
                "queue": job.queue,
                "actor": job.actor,
                "args": _bounded(list(job.args)),
                "kwargs": _bounded(job.kwargs),
                "started_at": job.started_at,
                "progress": None
                if job.progress is None
                else {
                    "done": job.progress.done,
                    "total": job.progress.total,
                    "message": job.progress.message,
                    "updated_at": job.progress.updated_at,
                },
            }
            for job in worker.running
        ],
    }


def _decode(data: dict[str, Any]) -> WorkerInfo:
    identity = {"worker_id": data["id"], "host": data["host"], "pid": data["pid"]}
    running = tuple(
        RunningJob(
            message_id=job["message_id"],
            queue=job["queue"],
            actor=job["actor"],
            args=job["args"] if isinstance(job["args"], list) else [job["args"]],
            kwargs=job["kwargs"] if isinstance(job["kwargs"], dict) else {"": job["kwargs"]},
            started_at=job["started_at"],
            progress=None if job["progress"] is None else Progress(**job["progress"]),
            **identity,
        )
        for job in data["running"]
    )
    return WorkerInfo(
        **identity,
        queues=tuple(data["queues"]),
        threads=data["threads"],
        started_at=data["started_at"],
        last_heartbeat=data["last_heartbeat"],
        stopping=data["stopping"],
        ecs_task_arn=data["ecs_task_arn"],
        running=running,
    )
