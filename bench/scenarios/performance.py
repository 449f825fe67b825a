"""Benchmark scalejobs side by side with plain Dramatiq, Celery and RQ: ``make bench``.

Against the Redis of the run, every system (``performance_systems.py``) is
measured alone, in rounds whose order rotates so that machine drift falls
on every system alike; each figure is the median over the rounds:

1. enqueue rate: ``--enqueues`` no-op jobs through the per-call API in a
   loop, then through the system's bulk API in one call (each the median
   of ``ENQUEUE_REPEATS`` timings);
2. processing rate and worker CPU per job: ``--jobs`` jobs queued first,
   then drained by workers using both cores (Dramatiq: 2 processes x 8
   threads), once with no-op jobs and once with jobs that make one Redis
   round trip (an ``INCR``), the CPU being what the worker process trees
   used during the drain, divided by the jobs;
3. peak worker memory: the summed RSS of the worker process trees,
   sampled every 0.1 s while they drain and while they are timed idle;
4. enqueue -> start latency: ``--latency-jobs`` jobs (over all rounds)
   sent one at a time to the now idle workers, each after the previous one
   started plus a random pause of up to ``--gap`` s.

Writes ``bench/results/performance.md`` and ``performance.png`` next to it.
A full run takes about 14 minutes on 2 cores; ``--quick`` about 3.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from bench.harness import Bench, PeakMemory, drain_cost, stop_worker
from bench.overrides import worker_jobs
from bench.scenarios.performance_report import Figures, machine, render, render_chart

SETTINGS = worker_jobs("performance")
QUICK = {"rounds": 1, "jobs": 5_000, "enqueues": 1_000, "latency_jobs": 100}
# Seconds the drained workers stay untouched before the latency jobs, so they are idle (Dramatiq backs off).
IDLE_PAUSE = 2.0
# Jobs that run unrecorded before the latency jobs: the first call of a job type pays for imports.
LATENCY_WARMUP = 3
# Enqueue timings per round, system and API; the round keeps their median.
ENQUEUE_REPEATS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=20_000, help="no-op jobs per processing drain")
    parser.add_argument("--enqueues", type=int, default=5_000, help="jobs per enqueue measurement")
    parser.add_argument("--latency-jobs", type=int, default=500, help="per system, over all rounds")
    parser.add_argument("--gap", type=float, default=0.05, help="longest random pause (s) between latency jobs")
    parser.add_argument(
        "--only", type=lambda text: set(text.split(",")), default=None, help="comma-separated system keys (see performance_systems.py)"
    )
    parser.add_argument("--no-chart", action="store_true")


def run(bench: Bench) -> str:
    from bench.scenarios.performance_systems import WORKLOADS, build
    from scalejobs.testing.ecs_agent import FakeAgent

    options, client = bench.options, bench.client
    agent = FakeAgent().start()
    systems = build(client, bench.url, agent.environ, only=options.only)
    figures = {system.name: Figures() for system in systems}
    started = time.monotonic()
    try:
        for round_number in range(options.rounds):
            shift = round_number % len(systems)
            order = systems[shift:] + systems[:shift]
            share = options.latency_jobs // options.rounds + (round_number < options.latency_jobs % options.rounds)
            for system in order:
                _measure_enqueue(system, client, options.enqueues, figures[system.name])
            for work in WORKLOADS:
                for system in order:
                    _measure_workers(system, client, options, work, share, round_number, figures[system.name])
            print(f"round {round_number + 1}/{options.rounds} done after {time.monotonic() - started:.0f} s", flush=True)
            for system in systems:
                print(f"  {system.name}: {figures[system.name].last()}", flush=True)
        agent_calls = len(agent.puts())
    finally:
        agent.stop()
    run = {
        "agent_calls": agent_calls,
        "rounds": options.rounds,
        "jobs": options.jobs,
        "enqueues": options.enqueues,
        "enqueue_repeats": ENQUEUE_REPEATS,
        "latency_jobs": options.latency_jobs,
        "gap": options.gap,
        "minutes": (time.monotonic() - started) / 60,
        "command": bench.command,
        "server": machine(client, None if bench.embedded else bench.url),
        "bulk_api": {system.name: system.bulk_api for system in systems},
    }
    report = render(figures, run)
    if not options.no_chart:
        bench.report.parent.mkdir(parents=True, exist_ok=True)
        render_chart(figures, bench.report.with_suffix(".png"))
    client.flushdb()
    return report


def _measure_enqueue(system, client, count: int, figures: Figures) -> None:
    client.flushdb()
    for _ in range(10):
        system.send_one()
    system.send_bulk(count)
    figures.enqueue_loop.append(_median_rate(client, count, lambda: [system.send_one() for _ in range(count)]))
    figures.enqueue_bulk.append(_median_rate(client, count, lambda: system.send_bulk(count)))
    client.flushdb()


def _median_rate(client, count: int, send) -> float:
    # A short timing is at the mercy of one garbage collection or one busy neighbour: take the median of a few.
    rates = []
    for _ in range(ENQUEUE_REPEATS):
        client.flushdb()
        gc.collect()
        begun = time.perf_counter()
        send()
        rates.append(count / (time.perf_counter() - begun))
    return statistics.median(rates)


def _measure_workers(system, client, options: argparse.Namespace, work: str, share: int, round_number: int, figures: Figures) -> None:
    client.flushdb()
    system.preload(options.jobs, work)
    workers = system.start()
    pids = [worker.pid for worker in workers]
    memory = PeakMemory(pids) if work == "noop" else None
    try:
        seconds, cpu = drain_cost(system.queued, system.in_flight, options.jobs, pids)
        figures.drains[work].append((options.jobs / seconds, cpu / options.jobs))
        if memory is None:
            return
        time.sleep(IDLE_PAUSE)
        key = f"bench:latency:{round_number}"
        for number in range(LATENCY_WARMUP + share):
            system.send_started(time.time(), key)
            popped = client.blpop([key], timeout=60)
            if popped is None:
                raise TimeoutError(f"{system.name}: a latency job did not start within 60 s")
            if number >= LATENCY_WARMUP:
                figures.latency.append(float(popped[1]))
            time.sleep(random.uniform(0, options.gap))
    finally:
        if memory is not None:
            figures.memory.append(memory.stop())
        for worker in workers:
            stop_worker(worker)
