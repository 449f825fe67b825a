"""Benchmark what the poison-message guard costs per job: guard off vs on, same run, interleaved, median.

The guard counts each delivery before the job runs (one Redis round trip)
and drops the count after the ack from a background thread, many per call.
Each round drains 10,000 no-op jobs through 2 processes x 8 threads with
``DEFAULT_STACK``, once with ``SCALEJOBS["RELIABILITY"]["MAX_DEATHS"] = None``
(guard off) and once with the default 3, and measures the rate and the CPU
each job costs (worker processes from ``wait4`` less an idle run's, plus the
Redis server's), which other load on the machine disturbs far less than the rate.

Writes ``bench/results/reliability.md``.
"""

from __future__ import annotations

import argparse

from bench.harness import Bench, empty_run_cpu, interleaved, median, redis_cpu, start_worker, stop_and_measure, time_drain
from bench.overrides import worker_jobs

SETTINGS = worker_jobs("unique_throttle")
QUICK = {"jobs": 1_000, "rounds": 1}
VARIANTS = {"off": None, "on": 3}


def guard(max_deaths: int | None) -> dict[str, object]:
    """Return the override that sets ``SCALEJOBS["RELIABILITY"]["MAX_DEATHS"]``."""
    return {"SCALEJOBS": {"RELIABILITY": {"MAX_DEATHS": max_deaths}}}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)


def run(bench: Bench) -> str:
    from bench.jobs import unique_throttle as jobs

    options, client = bench.options, bench.client
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_number in range(options.rounds):
        for name in interleaved(list(VARIANTS), round_number):
            idle = empty_run_cpu(client, jobs.QUEUE, guard(VARIANTS[name]))
            client.flushdb()
            for n in range(options.jobs):
                jobs.plain.perform_later(n)
            worker = start_worker(2, 8, [jobs.QUEUE], guard(VARIANTS[name]))
            server = redis_cpu(client)
            try:
                rates[name].append(options.jobs / time_drain(client, jobs.QUEUE, options.jobs))
                server = redis_cpu(client) - server
            finally:
                used = stop_and_measure(worker)
            cpu[name].append((used - idle + server) / options.jobs)
        print(f"round {round_number + 1}: " + ", ".join(f"guard {k} {v[-1]:.0f}/s" for k, v in rates.items()), flush=True)

    off_rate, on_rate = median(rates["off"]), median(rates["on"])
    off_cpu, on_cpu = median(cpu["off"]), median(cpu["on"])
    return "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} no-op jobs, 2 processes x 8 threads, "
            f"DEFAULT_STACK; Redis: {bench.server}.",
            "",
            "| poison-message guard | processed jobs/s | ratio | CPU µs per job | CPU ratio |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| off (`MAX_DEATHS = None`) | {off_rate:,.0f} | 1.00 | {off_cpu * 1e6:,.0f} | 1.00 |",
            f"| on (`MAX_DEATHS = 3`, the default) | {on_rate:,.0f} | {on_rate / off_rate:.2f} | {on_cpu * 1e6:,.0f} "
            f"| {off_cpu / on_cpu:.2f} |",
            "",
            "The CPU ratio is guard-off CPU per job over guard-on: the throughput ratio a CPU-bound host would see.",
        ]
    ) + "\n"
