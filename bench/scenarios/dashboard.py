"""Benchmark the admin dashboard: page render times at volume, and the cost of metrics per job.

1. Seed 100,000 ready messages, 1,000 delayed and 10,000 dead letters (Dramatiq's
   own key layout), plus 20 workers with 8 running jobs each, then time each
   page's server-side render (view + template, no network), median of N.
2. Processing rate of no-op jobs, 2 processes x 8 threads, with the Dashboard
   middleware counting metrics, with metrics off, and without the middleware;
   interleaved rounds, median.

Writes ``bench/results/dashboard.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from pathlib import Path

from bench.harness import Bench, interleaved, median, start_worker, stop_worker, unacked
from bench.overrides import without_middleware

SETTINGS: dict[str, object] = {}
QUICK = {"ready": 2_000, "delayed": 100, "dead": 200, "renders": 3, "jobs": 2_000, "rounds": 1, "hook_calls": 20_000}
# The configurations whose throughput is compared, as overrides of DEFAULT_STACK.
CONFIGURATIONS: dict[str, dict[str, object]] = {
    "metrics on (DEFAULT_STACK)": {},
    "metrics off": {"SCALEJOBS": {"DASHBOARD": {"METRICS": False}}},
    "no Dashboard middleware": without_middleware("Dashboard"),
}
QUEUE = "bench"
TRACEBACK = "Traceback (most recent call last):\n" + '  File "shop/tasks.py", line 42, in export\n    rows = fetch()\n' * 15


def seed(client, ready: int, delayed: int, dead: int) -> None:
    """Write messages the way Dramatiq's broker stores them, a pipeline at a time."""
    now = int(time.time() * 1000)

    def payload(number: int, **options: object) -> tuple[str, str]:
        redis_id = str(uuid.uuid4())
        data = {
            "queue_name": QUEUE,
            "actor_name": "export_customers" if number % 10 else "welcome",
            "args": [number, f"customer-{number}@example.com"],
            "kwargs": {"seconds_per_row": 0.2},
            "options": {"redis_message_id": redis_id, "scalejobs_enqueued_at": now - number, **options},
            "message_id": str(uuid.uuid4()),
            "message_timestamp": now - number,
        }
        return redis_id, json.dumps(data, separators=(",", ":"))

    for start in range(0, ready, 1000):
        with client.pipeline(transaction=False) as pipe:
            for number in range(start, min(ready, start + 1000)):
                redis_id, raw = payload(number)
                pipe.hset(f"dramatiq:{QUEUE}.msgs", redis_id, raw).rpush(f"dramatiq:{QUEUE}", redis_id)
            pipe.execute()
    with client.pipeline(transaction=False) as pipe:
        for number in range(delayed):
            redis_id, raw = payload(number, eta=now + 3_600_000 + number)
            pipe.hset(f"dramatiq:{QUEUE}.DQ.msgs", redis_id, raw)
        pipe.execute()
    for start in range(0, dead, 1000):
        with client.pipeline(transaction=False) as pipe:
            for number in range(start, min(dead, start + 1000)):
                redis_id, raw = payload(number, retries=3, traceback=TRACEBACK + f"ValueError: row {number}\n")
                pipe.hset(f"dramatiq:{QUEUE}.XQ.msgs", redis_id, raw).zadd(f"dramatiq:{QUEUE}.XQ", {redis_id: now - number})
            pipe.execute()


def seed_workers(workers: int, threads: int) -> None:
    from scalejobs.dashboard import engine
    from scalejobs.dashboard.values import Progress, RunningJob, WorkerInfo

    board = engine().workers
    now = time.time()
    for index in range(workers):
        identity = {"worker_id": f"bench-{index}", "host": f"ip-10-0-0-{index}", "pid": 1000 + index}
        running = tuple(
            RunningJob(
                message_id=str(uuid.uuid4()),
                queue=QUEUE,
                actor="export_customers",
                args=[thread, "customer@example.com"],
                kwargs={},
                started_at=now - 60,
                progress=Progress(done=thread * 10, total=100, message="exporting", updated_at=now),
                **identity,
            )
            for thread in range(threads)
        )
        info = WorkerInfo(**identity, queues=(QUEUE,), threads=threads, started_at=now - 600, last_heartbeat=now, running=running)
        board.beat(info)


def time_pages(rounds: int, ready: int) -> dict[str, float]:
    """Return the median milliseconds of each page's view call plus template render."""
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from scalejobs.dashboard import views

    factory = RequestFactory()
    user = User(username="bench", is_staff=True, is_superuser=True, is_active=True)
    pages = {
        "Dashboard": (views.dashboard, "", {}),
        "Queues": (views.queues, "", {}),
        "Queue, first page": (views.queue, "", {"queue": QUEUE}),
        "Queue, last page": (views.queue, f"?start={ready - 50}", {"queue": QUEUE}),
        "Queue, delayed": (views.queue, "?state=delayed", {"queue": QUEUE}),
        "Running jobs (160)": (views.running, "", {}),
        "Dead letters": (views.dead_letters, f"?queue={QUEUE}", {}),
        "Dead letters, filtered (no match)": (views.dead_letters, f"?queue={QUEUE}&actor=nobody", {}),
        "Workers (20)": (views.workers, "", {}),
    }
    timings: dict[str, float] = {}
    for name, (view, query, kwargs) in pages.items():
        samples = []
        for _ in range(rounds):
            request = factory.get("/admin/scalejobs/jobs/" + query)
            request.user = user
            started = time.perf_counter()
            response = view(request, **kwargs)
            response.render()
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        timings[name] = statistics.median(samples)
    return timings


def hook_costs(calls: int = 200_000) -> dict[str, float]:
    """Return the microseconds the Dashboard middleware adds to one job, measured in-process."""
    from dramatiq import Message
    from dramatiq.broker import MessageProxy

    from scalejobs.dashboard.middleware import Dashboard

    middleware = Dashboard()
    message = Message(queue_name="default", actor_name="noop", args=(), kwargs={}, options={"redis_message_id": "r"})
    proxy = MessageProxy(message)

    def per_job() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            middleware.before_enqueue(None, message, None)
            middleware.before_process_message(None, proxy)
            middleware.after_process_message(None, proxy)
        return (time.perf_counter() - started) / calls * 1e6

    with_metrics = statistics.median(per_job() for _ in range(3))
    counter, middleware.counter = middleware.counter, None
    without_metrics = statistics.median(per_job() for _ in range(3))
    middleware.counter = counter
    return {"all hooks, metrics on": with_metrics, "all hooks, metrics off": without_metrics}


def session_cpu_seconds(session: int) -> float:
    """Return the CPU seconds (user + system) used so far by the live processes of ``session``."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, pgrp, session, ..., utime (12th), stime (13th).
        if int(fields[3]) == session:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def drain(client, queue: str, total: int, session: int, timeout: float = 600.0) -> tuple[float, float]:
    """Return (wall seconds, worker CPU seconds) from the first message taken until all are acked."""
    key = f"dramatiq:{queue}"
    deadline = time.monotonic() + timeout
    while client.llen(key) >= total:
        if time.monotonic() > deadline:
            raise TimeoutError("the worker never started consuming")
        time.sleep(0.002)
    started, cpu = time.perf_counter(), session_cpu_seconds(session)
    while client.llen(key) or unacked(client, queue):
        if time.monotonic() > deadline:
            raise TimeoutError("the queue did not drain")
        time.sleep(0.01)
    return time.perf_counter() - started, session_cpu_seconds(session) - cpu


def throughput(client, jobs: int, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Return jobs per wall second and jobs per worker CPU second, per configuration, interleaved."""
    from example_project.shop.tasks import noop

    configs = CONFIGURATIONS
    rates: dict[str, list[float]] = {name: [] for name in configs}
    efficiency: dict[str, list[float]] = {name: [] for name in configs}
    for round_number in range(rounds):
        for name in interleaved(list(configs), round_number):
            client.flushdb()
            with client.pipeline(transaction=False) as pipe:
                for _ in range(jobs):
                    message = noop.message()
                    message = message.copy(options={"redis_message_id": str(uuid.uuid4())})
                    pipe.hset("dramatiq:default.msgs", message.options["redis_message_id"], message.encode())
                    pipe.rpush("dramatiq:default", message.options["redis_message_id"])
                pipe.execute()
            worker = start_worker(2, 8, ["default"], configs[name])
            try:
                wall, cpu = drain(client, "default", jobs, worker.pid)
            finally:
                stop_worker(worker)
            rates[name].append(jobs / wall)
            efficiency[name].append(jobs / cpu)
        print(
            f"round {round_number + 1}: "
            + ", ".join(f"{k} {rates[k][-1]:.0f}/s ({efficiency[k][-1]:.0f}/CPU-s)" for k in configs),
            flush=True,
        )
    return rates, efficiency


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ready", type=int, default=100_000)
    parser.add_argument("--delayed", type=int, default=1_000)
    parser.add_argument("--dead", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=9)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hook-calls", type=int, default=200_000, help="jobs whose hooks are timed in-process")


def run(bench: Bench) -> str:
    options, client = bench.options, bench.client
    client.flushdb()
    started = time.perf_counter()
    seed(client, options.ready, options.delayed, options.dead)
    seed_workers(20, 8)
    print(f"seeded in {time.perf_counter() - started:.1f}s", flush=True)
    pages = time_pages(options.renders, options.ready)
    for name, ms in pages.items():
        print(f"{name}: {ms:.1f} ms", flush=True)

    costs = hook_costs(options.hook_calls)
    for name, microseconds in costs.items():
        print(f"{name}: {microseconds:.2f} us per job", flush=True)
    rates, efficiency = throughput(client, options.jobs, options.rounds)
    on, off, bare = (median(rates[name]) for name in rates)
    cpu_on, cpu_off, cpu_bare = (median(efficiency[name]) for name in efficiency)
    spread = max(max(values) / min(values) for values in rates.values())
    lines = [
        f"Page renders: view + template, median of {options.renders}, with {options.ready:,} ready, "
        f"{options.delayed:,} delayed and {options.dead:,} dead-lettered messages, 20 workers x 8 running jobs; "
        f"Redis: {bench.server}.",
        "",
        "| page | server-side render, ms |",
        "| --- | ---: |",
        *(f"| {name} | {ms:.1f} |" for name, ms in pages.items()),
        "",
        f"Throughput: {options.jobs:,} no-op jobs, 2 processes x 8 threads, median of {options.rounds} interleaved rounds.",
        "",
        "Jobs per wall second depend on what else the machine runs; jobs per CPU second of the worker "
        "processes (user + system, from /proc) measure the work each job costs, and hold under load.",
        "",
        "| configuration | jobs/s | ratio | jobs per worker CPU-s | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| metrics on (`DEFAULT_STACK`) | {on:,.0f} | {on / off:.3f} | {cpu_on:,.0f} | {cpu_on / cpu_off:.3f} |",
        f"| metrics off (`METRICS: False`) | {off:,.0f} | 1.000 | {cpu_off:,.0f} | 1.000 |",
        f"| no Dashboard middleware at all | {bare:,.0f} | {bare / off:.3f} | {cpu_bare:,.0f} | {cpu_bare / cpu_off:.3f} |",
        "",
        f"Wall-clock rounds of one configuration differed by up to {spread:.2f}x on this shared machine. "
        "The in-process cost of the middleware's per-job hooks (enqueue stamp, running-job registry, "
        "metrics counter), timed directly:",
        "",
        "| per-job hooks | microseconds per job | share of a no-op job at the median rate per process |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {microseconds:.2f} | {microseconds / (2 * 1e6 / on):.2%} |"
            for name, microseconds in costs.items()
        ),
        f"| metrics counting alone | {costs['all hooks, metrics on'] - costs['all hooks, metrics off']:.2f} | "
        f"{(costs['all hooks, metrics on'] - costs['all hooks, metrics off']) / (2 * 1e6 / on):.2%} |",
    ]
    return "\n".join(lines) + "\n"
