"""The job systems the performance scenario measures, behind one interface.

Each system enqueues no-op jobs through its per-call API and its bulk API,
preloads a backlog of no-op jobs or of jobs that make one Redis round trip
(``WORKLOADS``), starts its workers (using both cores), tells how many
jobs are queued and in flight, and sends a job that reports how late it
started. Every system's jobs go to a queue named ``bench`` on the same
Redis, which the benchmark empties between systems.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any, Protocol

import redis

from bench.harness import ROOT, spawn, start_worker, unacked
from bench.overrides import PLAIN_DRAMATIQ, merge, worker_jobs

QUEUE = "bench"
# Dramatiq's and Celery's threads per worker process (Dramatiq's default is 8).
THREADS = 8
# Jobs sent per call while preloading a backlog.
PRELOAD_CHUNK = 1000
# What the jobs of a processing drain do: nothing, or one Redis INCR (as real jobs touch a store).
WORKLOADS = ("noop", "incr")


class System(Protocol):
    name: str
    # How the bulk figure was measured, for the table's notes.
    bulk_api: str

    def send_one(self) -> None: ...
    def send_bulk(self, count: int) -> None: ...
    def preload(self, count: int, work: str = "noop") -> None: ...
    def start(self) -> list[subprocess.Popen[bytes]]: ...
    def send_started(self, due: float, key: str) -> None: ...
    def queued(self) -> int: ...
    def in_flight(self) -> int: ...


class DramatiqQueue:
    """Count what waits in, and what was fetched from, a Dramatiq queue in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def queued(self) -> int:
        return int(self.client.llen(f"dramatiq:{QUEUE}"))

    def in_flight(self) -> int:
        return unacked(self.client, QUEUE)


class PlainDramatiq(DramatiqQueue):
    """Dramatiq's own Redis broker and default middleware, in the producer and the workers."""

    name = "plain Dramatiq"
    bulk_api = "`group(...).run()`, a loop: Dramatiq has no bulk enqueue"

    def __init__(self, client: redis.Redis, url: str) -> None:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        from bench.jobs import performance_plain as jobs
        from scalejobs.dispatch import RedisBroker as PushBroker

        super().__init__(client)
        self.dramatiq = dramatiq
        broker = RedisBroker(url=url)
        self.noop = dramatiq.actor(jobs.plain_noop.fn, broker=broker, actor_name="plain_noop", queue_name=QUEUE, max_retries=0)
        self.incr = dramatiq.actor(jobs.plain_incr.fn, broker=broker, actor_name="plain_incr", queue_name=QUEUE, max_retries=0)
        self.started = dramatiq.actor(jobs.plain_started.fn, broker=broker, actor_name="plain_started", queue_name=QUEUE, max_retries=0)
        # Stores exactly what Dramatiq's broker stores, faster; for the untimed backlog only.
        self.loader = PushBroker(url=url, middleware=[])

    def send_one(self) -> None:
        self.noop.send()

    def send_bulk(self, count: int) -> None:
        self.dramatiq.group(self.noop.message() for _ in range(count)).run()

    def preload(self, count: int, work: str = "noop") -> None:
        actor = self.incr if work == "incr" else self.noop
        for start in range(0, count, PRELOAD_CHUNK):
            self.loader.enqueue_many([actor.message() for _ in range(min(PRELOAD_CHUNK, count - start))])

    def start(self) -> list[subprocess.Popen[bytes]]:
        return [start_worker(2, THREADS, [QUEUE], merge(PLAIN_DRAMATIQ, worker_jobs("performance_plain", baseline=True)))]

    def send_started(self, due: float, key: str) -> None:
        self.started.send(due, key)


class Scalejobs(DramatiqQueue):
    """scalejobs as configured by default: the push broker and ``DEFAULT_STACK``, one job's options."""

    bulk_api = "`perform_bulk`"

    def __init__(
        self,
        name: str,
        client: redis.Redis,
        noop: Any,
        incr: Any,
        started: Any,
        *,
        numbered: bool = False,
        overrides: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(client)
        self.name = name
        self.noop = noop
        self.incr = incr
        self.started = started
        self.overrides = overrides or {}
        self.env = env or {}
        # A unique job needs new arguments for each message, or all but one would be dropped.
        self._numbers = itertools.count() if numbered else None

    def _args(self) -> tuple[int, ...]:
        return (next(self._numbers),) if self._numbers is not None else ()

    def send_one(self) -> None:
        self.noop.perform_later(*self._args())

    def send_bulk(self, count: int) -> None:
        self.noop.perform_bulk([self._args() for _ in range(count)])

    def preload(self, count: int, work: str = "noop") -> None:
        actor = self.incr if work == "incr" else self.noop
        for start in range(0, count, PRELOAD_CHUNK):
            actor.perform_bulk([self._args() for _ in range(min(PRELOAD_CHUNK, count - start))])

    def start(self) -> list[subprocess.Popen[bytes]]:
        return [start_worker(2, THREADS, [QUEUE], self.overrides, self.env)]

    def send_started(self, due: float, key: str) -> None:
        self.started.perform_later(due, key)


class Celery:
    """Celery 5 on its Redis broker, tuned for many short tasks as its Optimizing guide says."""

    bulk_api = "`group(...).apply_async()`"

    def __init__(self, name: str, client: redis.Redis, *, pool: str) -> None:
        import celery

        from bench.jobs import celery_app

        self.name = name
        self.client = client
        self.pool = pool
        self.celery = celery
        self.app = celery_app

    def send_one(self) -> None:
        self.app.noop.delay()

    def send_bulk(self, count: int) -> None:
        self.celery.group(self.app.noop.s() for _ in range(count)).apply_async()

    def preload(self, count: int, work: str = "noop") -> None:
        task = self.app.incr if work == "incr" else self.app.noop
        for start in range(0, count, PRELOAD_CHUNK):
            self.celery.group(task.s() for _ in range(min(PRELOAD_CHUNK, count - start))).apply_async()

    def start(self) -> list[subprocess.Popen[bytes]]:
        command = [sys.executable, "-m", "celery", "-A", "bench.jobs.celery_app", "worker", "--queues", QUEUE, "--loglevel", "WARNING"]
        # Short tasks: a large prefetch multiplier (the Optimizing guide suggests 64 or 128); no gossip, mingle, heartbeat.
        command += ["--prefetch-multiplier", "64", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.pool == "prefork":
            commands = [[*command, "--pool", "prefork", "--concurrency", "2", "--hostname", "bench-prefork@%h"]]
        else:
            commands = [[*command, "--pool", "threads", "--concurrency", str(THREADS), "--hostname", f"bench{n}@%h"] for n in range(2)]
        return [spawn(command) for command in commands]

    def send_started(self, due: float, key: str) -> None:
        self.app.started.delay(due, key)

    def queued(self) -> int:
        return int(self.client.llen(QUEUE))

    def in_flight(self) -> int:
        return int(self.client.hlen("unacked"))


class RQ:
    """RQ 2 with two ``SimpleWorker`` processes, as its performance notes advise for very short jobs."""

    bulk_api = "`Queue.enqueue_many`"

    def __init__(self, client: redis.Redis, url: str) -> None:
        import rq

        from bench.jobs import rq_jobs

        self.name = f"RQ {rq.__version__}"
        self.client = client
        self.url = url
        self.jobs = rq_jobs
        self.rq = rq
        self.queue = rq.Queue(QUEUE, connection=redis.Redis.from_url(url))

    def _noop(self, function: Any = None) -> Any:
        # result_ttl=0: no result is kept, as with Celery's task_ignore_result and Dramatiq without Results.
        return self.rq.Queue.prepare_data(function or self.jobs.noop, result_ttl=0)

    def send_one(self) -> None:
        self.queue.enqueue(self.jobs.noop, result_ttl=0)

    def send_bulk(self, count: int) -> None:
        self.queue.enqueue_many([self._noop() for _ in range(count)])

    def preload(self, count: int, work: str = "noop") -> None:
        function = self.jobs.incr if work == "incr" else self.jobs.noop
        for start in range(0, count, PRELOAD_CHUNK):
            self.queue.enqueue_many([self._noop(function) for _ in range(min(PRELOAD_CHUNK, count - start))])

    def start(self) -> list[subprocess.Popen[bytes]]:
        command = [sys.executable, "-m", "rq.cli", "worker", "--url", self.url, "--worker-class", "rq.worker.SimpleWorker"]
        command += ["--disable-job-desc-logging", "--quiet", "--path", str(ROOT), QUEUE]
        return [spawn([*command, "--name", f"bench-{n}-{os.getpid()}"]) for n in range(2)]

    def send_started(self, due: float, key: str) -> None:
        self.queue.enqueue(self.jobs.started, due, key, result_ttl=0)

    def queued(self) -> int:
        return int(self.client.llen(f"rq:queue:{QUEUE}"))

    def in_flight(self) -> int:
        return int(self.client.zcard(f"rq:wip:{QUEUE}"))


def build(client: redis.Redis, url: str, agent_environ: Callable[[], dict[str, str]] | None, *, only: set[str] | None = None) -> list[System]:
    """Return every system, in the table's order; ``only`` keeps those whose key it names."""
    from bench.jobs import performance as jobs

    makers: dict[str, Callable[[], System]] = {
        "plain": lambda: PlainDramatiq(client, url),
        "default": lambda: Scalejobs("DEFAULT_STACK", client, jobs.perf_noop, jobs.perf_incr, jobs.perf_started),
        "unique": lambda: Scalejobs(
            "+ unique_for", client, jobs.perf_unique_noop, jobs.perf_unique_incr, jobs.perf_unique_started, numbered=True
        ),
        "concurrency": lambda: Scalejobs(
            "+ Concurrency(1000)", client, jobs.perf_concurrency_noop, jobs.perf_concurrency_incr, jobs.perf_concurrency_started
        ),
        "celery-prefork": lambda: Celery("Celery prefork x2", client, pool="prefork"),
        "celery-threads": lambda: Celery(f"Celery threads 2x{THREADS}", client, pool="threads"),
        "rq": lambda: RQ(client, url),
    }
    if agent_environ is not None:
        makers["protection"] = lambda: Scalejobs(
            "+ ECS protection", client, jobs.perf_noop, jobs.perf_incr, jobs.perf_started, overrides={"SCALEJOBS": {"PROTECTION": {"ENABLED": True}}}, env=agent_environ()
        )
    order = ["plain", "default", "unique", "concurrency", "protection", "celery-prefork", "celery-threads", "rq"]
    return [makers[key]() for key in order if key in makers and (only is None or key in only)]
