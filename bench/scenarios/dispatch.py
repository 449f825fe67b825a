"""Benchmark push dispatch against plain Dramatiq and Celery, side by side, interleaved.

Three systems: Dramatiq's own Redis broker (the baseline), scalejobs'
``scalejobs.dispatch.RedisBroker`` (same middleware, only the broker
differs) and Celery 5 on its Redis broker (``bench/jobs/celery_app.py``;
skipped when Celery is not installed). Each is measured alone, on the
Redis of the run, in rounds whose order rotates:

1. enqueue -> start: jobs sent one at a time to an idle worker (1 process x
   8 threads), each after the previous started plus a random 0-100 ms gap;
2. delayed-job lateness: jobs due 2-3 s after enqueue, start minus due time;
3. idle Redis commands per second of that worker, from ``INFO commandstats``
   deltas (commands run inside Lua scripts included, the benchmark's own
   ``INFO`` calls left out);
4. no-op throughput: ``--jobs`` jobs queued first, then drained by 2
   processes x 8 threads.

A full run takes about 10 minutes; writes ``bench/results/dispatch.md``.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import Protocol

from bench.harness import Bench, spawn, start_worker, stop_worker, time_drain
from bench.overrides import PLAIN_DRAMATIQ, merge, worker_jobs

# Both Dramatiq columns run Dramatiq's default middleware: only the broker differs.
SETTINGS = merge(PLAIN_DRAMATIQ, worker_jobs("dispatch", baseline=True))
QUICK = {"rounds": 1, "latency_jobs": 30, "delayed_jobs": 10, "idle_seconds": 2.0, "jobs": 2_000}
BROKERS = {"plain": "dramatiq.brokers.redis.RedisBroker", "push": "scalejobs.dispatch.RedisBroker"}
QUEUE = "bench"
THREADS = 8


class System(Protocol):
    name: str

    def start(self, processes: int) -> list[subprocess.Popen[bytes]]: ...
    def send(self, due: float, key: str, delay: float | None = None) -> None: ...
    def send_noops(self, count: int) -> None: ...
    def drain_seconds(self, total: int) -> float: ...


class DramatiqSystem:
    """Dramatiq workers on one broker class, fed by a producer on the same class."""

    def __init__(self, name: str, kind: str, url: str, client: object) -> None:
        import dramatiq.brokers.redis

        import scalejobs.dispatch

        self.name = name
        self.kind = kind
        self.client = client
        broker_class = scalejobs.dispatch.RedisBroker if kind == "push" else dramatiq.brokers.redis.RedisBroker
        self.producer = broker_class(url=url, middleware=[])

    def start(self, processes: int) -> list[subprocess.Popen[bytes]]:
        return [start_worker(processes, THREADS, [QUEUE], {"DRAMATIQ_BROKER": {"BROKER": BROKERS[self.kind]}})]

    def _message(self, actor: str, args: tuple[object, ...]) -> object:
        import dramatiq

        return dramatiq.Message(queue_name=QUEUE, actor_name=actor, args=args, kwargs={}, options={})

    def send(self, due: float, key: str, delay: float | None = None) -> None:
        self.producer.enqueue(self._message("bench_started", (due, key)), delay=None if delay is None else int(delay * 1000))

    def send_noops(self, count: int) -> None:
        for _ in range(count):
            self.producer.enqueue(self._message("bench_noop", ()))

    def drain_seconds(self, total: int) -> float:
        return time_drain(self.client, QUEUE, total)


class CelerySystem:
    """Celery workers (threads pool) on Celery's Redis broker."""

    name = "Celery"

    def __init__(self, client: object) -> None:
        from bench.jobs import celery_app

        self.app = celery_app
        self.client = client

    def start(self, processes: int) -> list[subprocess.Popen[bytes]]:
        command = [sys.executable, "-m", "celery", "-A", "bench.jobs.celery_app", "worker", "--pool", "threads"]
        command += ["--concurrency", str(THREADS), "--queues", QUEUE, "--loglevel", "WARNING"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        return [spawn([*command, "--hostname", f"bench{index}@%h"]) for index in range(processes)]

    def send(self, due: float, key: str, delay: float | None = None) -> None:
        self.app.started.apply_async(args=(due, key), countdown=delay)

    def send_noops(self, count: int) -> None:
        for _ in range(count):
            self.app.noop.apply_async()

    def drain_seconds(self, total: int) -> float:
        deadline = time.monotonic() + 900
        while self.client.llen(QUEUE) >= total:
            if time.monotonic() > deadline:
                raise TimeoutError("Celery never started consuming")
            time.sleep(0.002)
        started = time.perf_counter()
        while self.client.llen(QUEUE) or self.client.hlen("unacked"):
            if time.monotonic() > deadline:
                raise TimeoutError("Celery did not drain")
            time.sleep(0.01)
        return time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def collect(client, key: str, count: int, timeout: float) -> list[float]:
    values = []
    for _ in range(count):
        popped = client.blpop([key], timeout=timeout)
        if popped is None:
            raise TimeoutError(f"only {len(values)} of {count} jobs reported on {key}")
        values.append(float(popped[1]))
    return values


def warm_up(system: System, client) -> None:
    """Wait until the worker runs jobs, three in a row."""
    for _ in range(3):
        system.send(time.time(), "bench:warm")
        collect(client, "bench:warm", 1, timeout=120)


def command_counts(client) -> Counter[str]:
    stats = client.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items() if name != "cmdstat_info"})


def stop_all(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        stop_worker(worker)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-jobs", type=int, default=500, help="per system, over all rounds")
    parser.add_argument("--delayed-jobs", type=int, default=150, help="per system, over all rounds")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="per system and round")
    parser.add_argument("--jobs", type=int, default=20_000, help="no-op jobs per throughput drain")
    parser.add_argument("--gap", type=float, default=0.1, help="largest random pause (s) between latency jobs")
    parser.add_argument("--no-celery", action="store_true")


def run(bench: Bench) -> str:
    options, client, url = bench.options, bench.client, bench.url
    systems: list[System] = [DramatiqSystem("plain Dramatiq", "plain", url, client), DramatiqSystem("scalejobs push", "push", url, client)]
    if not options.no_celery:
        try:
            systems.append(CelerySystem(client))
        except ImportError:
            print("Celery is not installed: measuring the two Dramatiq brokers only.", flush=True)
    celery_version = ""
    if any(system.name == "Celery" for system in systems):
        import celery

        celery_version = celery.__version__

    latency: dict[str, list[float]] = {system.name: [] for system in systems}
    lateness: dict[str, list[float]] = {system.name: [] for system in systems}
    idle: dict[str, list[float]] = {system.name: [] for system in systems}
    idle_commands: dict[str, Counter[str]] = {system.name: Counter() for system in systems}
    throughput: dict[str, list[float]] = {system.name: [] for system in systems}
    idle_total = 0.0

    for round_number in range(options.rounds):
        shift = round_number % len(systems)
        order = systems[shift:] + systems[:shift]
        share = options.latency_jobs // options.rounds + (round_number < options.latency_jobs % options.rounds)
        delayed_share = options.delayed_jobs // options.rounds + (round_number < options.delayed_jobs % options.rounds)
        for system in order:
            client.flushdb()
            workers = system.start(1)
            try:
                warm_up(system, client)
                time.sleep(3)  # let Dramatiq's back-off reach its idle pace
                before = command_counts(client)
                time.sleep(options.idle_seconds)
                delta = command_counts(client) - before
                idle[system.name].append(sum(delta.values()) / options.idle_seconds)
                idle_commands[system.name] += delta
                key = f"bench:latency:{round_number}"
                for _ in range(share):
                    system.send(time.time(), key)
                    latency[system.name].extend(collect(client, key, 1, timeout=30))
                    time.sleep(random.uniform(0, options.gap))
                key = f"bench:lateness:{round_number}"
                for _ in range(delayed_share):
                    delay = random.uniform(2.0, 3.0)
                    system.send(time.time() + delay, key, delay=delay)
                lateness[system.name].extend(collect(client, key, delayed_share, timeout=60))
            finally:
                stop_all(workers)
        idle_total += options.idle_seconds
        for system in order:
            client.flushdb()
            system.send_noops(options.jobs)
            workers = system.start(2)
            try:
                throughput[system.name].append(options.jobs / system.drain_seconds(options.jobs))
            finally:
                stop_all(workers)
        print(
            f"round {round_number + 1}: "
            + "; ".join(
                f"{name} p99 {percentile(latency[name], 99) * 1000:.1f} ms, late p99 {percentile(lateness[name], 99) * 1000:.0f} ms, "
                f"{throughput[name][-1]:.0f} jobs/s, idle {idle[name][-1]:.2f}/s"
                for name in latency
            ),
            flush=True,
        )

    return render(options, bench.server, celery_version, latency, lateness, idle, idle_commands, idle_total, throughput)


def render(options, server, celery_version, latency, lateness, idle, idle_commands, idle_total, throughput) -> str:
    plain, push = "plain Dramatiq", "scalejobs push"
    names = list(latency)
    ms = {name: {p: percentile(latency[name], p) * 1000 for p in (50, 99)} for name in names}
    late = {name: {p: percentile(lateness[name], p) * 1000 for p in (50, 99)} for name in names}
    rate = {name: statistics.median(throughput[name]) for name in names}
    calls = {name: statistics.median(idle[name]) for name in names}
    heading = " | ".join(name if name != "Celery" else f"Celery {celery_version}" for name in names)

    def row(label: str, values: dict[str, str], target: str, met: str) -> str:
        return f"| {label} | " + " | ".join(values[name] for name in names) + f" | {target} | {met} |"

    def verdict(ok: bool) -> str:
        return "yes" if ok else "**no**"

    lines = [
        f"{options.rounds} interleaved rounds on {server}; each system measured alone. Latency: {options.latency_jobs} jobs per system, "
        f"one at a time, 0-{options.gap * 1000:.0f} ms apart, idle worker of 1 process x {THREADS} threads. Lateness: "
        f"{options.delayed_jobs} jobs per system due 2-3 s after enqueue. Idle: {options.idle_seconds:.0f} s per round, "
        f"INFO commandstats deltas (commands inside Lua scripts count). Throughput: median of {options.rounds} drains of "
        f"{options.jobs:,} no-op jobs by 2 processes x {THREADS} threads. Both Dramatiq columns run Dramatiq's default "
        "middleware; only the broker differs. Celery: threads pool, without gossip, mingle and heartbeat.",
        "",
        f"| measure | {heading} | target | met |",
        "| --- | " + " | ".join("---:" for _ in names) + " | --- | --- |",
        row("enqueue -> start p50, ms", {n: f"{ms[n][50]:.1f}" for n in names}, "", ""),
        row("enqueue -> start p99, ms", {n: f"{ms[n][99]:.1f}" for n in names}, "<= 10", verdict(ms[push][99] <= 10)),
        row("delayed lateness p50, ms", {n: f"{late[n][50]:.1f}" for n in names}, "", ""),
        row("delayed lateness p99, ms", {n: f"{late[n][99]:.1f}" for n in names}, "<= 50", verdict(late[push][99] <= 50)),
        row(
            "no-op throughput, jobs/s",
            {n: f"{rate[n]:,.0f} ({rate[n] / rate[plain]:.2f}x)" for n in names},
            ">= 0.95x plain",
            verdict(rate[push] >= 0.95 * rate[plain]),
        ),
        row(
            "idle Redis commands/s per worker process",
            {n: f"{calls[n]:.2f}" for n in names},
            "<= plain",
            verdict(calls[push] <= calls[plain]),
        ),
        "",
        "Idle commands per second, by command:",
        "",
    ]
    for name in names:
        spread = ", ".join(f"{command} {count / idle_total:.2f}" for command, count in idle_commands[name].most_common())
        lines.append(f"- {name}: {spread or 'none'}")
    return "\n".join(lines) + "\n"
