"""Benchmark the cost of unique jobs and Concurrency throttles per job, same run, interleaved, median.

1. Redis round trips each middleware adds per job: the jobs run on a stub
   broker (no Redis of its own) with Retries, Throttle and Unique, whose
   engines share one counting Redis client.
2. Enqueue rate of ``perform_later``: a plain job vs a unique one.
3. Processing rate of no-op jobs, 2 processes x 8 threads, ``DEFAULT_STACK``:
   no options, ``unique_for``, ``Concurrency``, and both, as ratios to no options;
   and the CPU each job costs (worker processes, from ``wait4``, less an
   empty run's; plus the Redis server's), which other load on the machine
   disturbs far less than the rate.

Writes ``bench/results/unique_throttle.md``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.harness import Bench, empty_run_cpu, interleaved, median, redis_cpu, start_worker, stop_and_measure, time_drain
from bench.overrides import worker_jobs

SETTINGS = worker_jobs("unique_throttle")
QUICK = {"jobs": 1_000, "enqueues": 300, "rounds": 1, "trips": 100}
VARIANTS = ("plain", "unique", "concurrency", "both")


def round_trips(url: str, jobs: int) -> dict[str, float]:
    """Return, per variant, the middleware's Redis round trips per job (enqueue + run)."""
    import dramatiq
    import redis
    from dramatiq.brokers.stub import StubBroker
    from dramatiq.middleware import Retries

    import scalejobs
    from bench.jobs.unique_throttle import SLOTS
    from scalejobs.keys import KeySpace
    from scalejobs.throttle.engine import Throttles
    from scalejobs.throttle.middleware import Throttle
    from scalejobs.unique.engine import UniqueJobs
    from scalejobs.unique.middleware import Unique

    class Counting(redis.Redis):
        calls = 0

        def execute_command(self, *args: Any, **options: Any) -> Any:
            Counting.calls += 1
            return super().execute_command(*args, **options)

        def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
            pipe = super().pipeline(transaction, shard_hint)
            execute = pipe.execute

            def counted(*args: Any, **kwargs: Any) -> Any:
                Counting.calls += 1
                return execute(*args, **kwargs)

            pipe.execute = counted
            return pipe

    client = Counting.from_url(url)
    client.flushdb()
    throttle = Throttle(engine=Throttles(client, KeySpace("rt", "throttle")))
    unique = Unique(engine=UniqueJobs(client, KeySpace("rt", "unique")))
    broker = StubBroker(middleware=[Retries(), throttle, unique])
    actors = {
        "plain": scalejobs.job(broker=broker, actor_name="rt_plain")(lambda n: None),
        "unique": scalejobs.job(broker=broker, actor_name="rt_unique", unique_for=3600)(lambda n: None),
        "concurrency": scalejobs.job(broker=broker, actor_name="rt_concurrency", throttle=SLOTS)(lambda n: None),
        "both": scalejobs.job(broker=broker, actor_name="rt_both", unique_for=3600, throttle=SLOTS)(lambda n: None),
    }
    worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=20)
    worker.start()
    found = {}
    try:
        for name, actor in actors.items():
            for n in range(3):  # load the scripts, so the count is the steady state
                actor.send(-1 - n)
            broker.join("default")
            Counting.calls = 0
            for n in range(jobs):
                actor.send(n)
            broker.join("default")
            found[name] = Counting.calls / jobs
    finally:
        worker.stop()
        broker.close()
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--enqueues", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trips", type=int, default=500, help="jobs per variant whose round trips are counted")


def run(bench: Bench) -> str:
    from bench.jobs import unique_throttle as jobs

    options, client = bench.options, bench.client
    trips = round_trips(bench.url, options.trips)
    print("round trips per job: " + ", ".join(f"{name} {value:.2f}" for name, value in trips.items()), flush=True)

    enqueue: dict[str, list[float]] = {"plain": [], "unique": []}
    process: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_number in range(options.rounds):
        idle = empty_run_cpu(client, jobs.QUEUE)
        for name in interleaved(list(enqueue), round_number):
            client.flushdb()
            job = getattr(jobs, name)
            started = time.perf_counter()
            for n in range(options.enqueues):
                job.perform_later(n)
            enqueue[name].append(options.enqueues / (time.perf_counter() - started))
        for name in interleaved(list(VARIANTS), round_number):
            client.flushdb()
            job = getattr(jobs, name)
            for n in range(options.jobs):
                job.perform_later(n)
            worker = start_worker(2, 8, [jobs.QUEUE])
            server = redis_cpu(client)
            try:
                process[name].append(options.jobs / time_drain(client, jobs.QUEUE, options.jobs))
                server = redis_cpu(client) - server
            finally:
                used = stop_and_measure(worker)
            cpu[name].append((used - idle + server) / options.jobs)
        print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in process.items()), flush=True)

    plain = median(process["plain"])
    rows = [
        f"Median of {options.rounds} interleaved rounds; {options.enqueues:,} enqueues per loop, "
        f"{options.jobs:,} no-op jobs, 2 processes x 8 threads, DEFAULT_STACK; "
        f"Redis: {bench.server}.",
        "",
        "| job options | Redis round trips added per job | processed jobs/s | ratio | CPU µs per job | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    plain_cpu = median(cpu["plain"])
    labels = {"plain": "none", "unique": "`unique_for`", "concurrency": "`Concurrency`", "both": "`unique_for` + `Concurrency`"}
    for name in VARIANTS:
        rate = median(process[name])
        used = median(cpu[name])
        rows.append(
            f"| {labels[name]} | {trips[name] - trips['plain']:.2f} | {rate:,.0f} | {rate / plain:.2f} "
            f"| {used * 1e6:,.0f} | {plain_cpu / used:.2f} |"
        )
    later, unique_later = median(enqueue["plain"]), median(enqueue["unique"])
    rows += [
        "",
        f"Enqueue with `perform_later`: {later:,.0f}/s plain, {unique_later:,.0f}/s unique "
        f"(ratio {unique_later / later:.2f}). The CPU ratio is no-options CPU per job over this row's: "
        "the throughput ratio a CPU-bound host would see.",
    ]
    return "\n".join(rows) + "\n"
