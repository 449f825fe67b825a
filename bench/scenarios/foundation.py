"""Benchmark the foundation against plain Dramatiq, interleaved, median of 3.

1. Enqueue rate: ``job.perform_later()`` vs the raw ``actor.send()``.
2. Processing rate of no-op jobs: ``DEFAULT_STACK`` vs Dramatiq's default
   middleware, 2 processes x 8 threads, 20,000 jobs.

Writes ``bench/results/foundation.md``.
"""

from __future__ import annotations

import argparse
import time

from bench.harness import Bench, interleaved, median, start_worker, stop_worker, time_drain
from bench.overrides import PLAIN_DRAMATIQ, merge, worker_jobs

SETTINGS: dict[str, object] = {}
QUICK = {"jobs": 2_000, "enqueues": 500, "rounds": 1}
QUEUE = "default"
# Dramatiq's default middleware, running the shop's no-op job's plain twin.
BASELINE = merge(PLAIN_DRAMATIQ, worker_jobs("foundation_plain", baseline=True))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--enqueues", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)


def run(bench: Bench) -> str:
    import dramatiq

    from example_project.shop.tasks import noop as bench_noop

    options, client = bench.options, bench.client
    client.flushdb()

    def plain_send() -> None:
        # Dramatiq's own Actor.send path, without the scalejobs argument check.
        dramatiq.Actor.send_with_options(bench_noop)

    enqueue: dict[str, list[float]] = {"send": [], "perform_later": []}
    process: dict[str, list[float]] = {"plain Dramatiq": [], "DEFAULT_STACK": []}
    for round_number in range(options.rounds):
        for name in interleaved(list(enqueue), round_number):
            client.flushdb()
            call = bench_noop.perform_later if name == "perform_later" else plain_send
            started = time.perf_counter()
            for _ in range(options.enqueues):
                call()
            enqueue[name].append(options.enqueues / (time.perf_counter() - started))
        for name in interleaved(list(process), round_number):
            client.flushdb()
            for _ in range(options.jobs):
                bench_noop.send()
            worker = start_worker(2, 8, [QUEUE], BASELINE if name == "plain Dramatiq" else None)
            try:
                process[name].append(options.jobs / time_drain(client, QUEUE, options.jobs))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in {**enqueue, **process}.items()), flush=True)

    send, later = median(enqueue["send"]), median(enqueue["perform_later"])
    plain, stack = median(process["plain Dramatiq"]), median(process["DEFAULT_STACK"])
    return "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.enqueues:,} enqueues per loop, "
            f"{options.jobs:,} no-op jobs, 2 processes x 8 threads; Redis: {bench.server}.",
            "",
            "| measure | baseline | scalejobs | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| enqueue (`actor.send` vs `perform_later`), msgs/s | {send:,.0f} | {later:,.0f} | {later / send:.2f} |",
            f"| processing (Dramatiq default vs `DEFAULT_STACK`), jobs/s | {plain:,.0f} | {stack:,.0f} | {stack / plain:.2f} |",
        ]
    ) + "\n"
