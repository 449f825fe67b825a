"""What ``encrypt=True`` costs: enqueue and processing rates of the same job, plain and sealed.

Interleaved rounds, median of 3: ``perform_later`` in one thread (on_commit
off), then a worker (1 process x 8 threads, ``DEFAULT_STACK``) draining
the queue. Writes ``bench/results/encryption.md``.
"""

from __future__ import annotations

import argparse
import time

from bench.harness import Bench, interleaved, median, start_worker, stop_worker, time_drain
from bench.overrides import worker_jobs

SETTINGS = worker_jobs("encryption")
QUICK = {"jobs": 1_000, "rounds": 1}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)


def run(bench: Bench) -> str:
    from bench.jobs.encryption import ARGUMENTS, QUEUE, plain, sealed

    options, client = bench.options, bench.client
    jobs = {"plain": plain, "encrypt=True": sealed}
    enqueue: dict[str, list[float]] = {name: [] for name in jobs}
    process: dict[str, list[float]] = {name: [] for name in jobs}
    for round_number in range(options.rounds):
        for name in interleaved(list(jobs), round_number):
            client.flushdb()
            started = time.perf_counter()
            for _ in range(options.jobs):
                jobs[name].perform_later(*ARGUMENTS)
            enqueue[name].append(options.jobs / (time.perf_counter() - started))
            worker = start_worker(1, 8, [QUEUE])
            try:
                process[name].append(options.jobs / time_drain(client, QUEUE, options.jobs))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: " + ", ".join(f"{n} {enqueue[n][-1]:.0f}/s enqueued, {process[n][-1]:.0f}/s run" for n in jobs), flush=True)

    rows = [f"| {name} | {median(enqueue[name]):,.0f} | {median(process[name]):,.0f} |" for name in jobs]
    return "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} jobs of three arguments per loop, enqueued by "
            f"`perform_later` in one thread, run by 1 process x 8 threads with `DEFAULT_STACK`; Redis: {bench.server}.",
            "",
            "| job | enqueue, msgs/s | processing, jobs/s |",
            "| --- | ---: | ---: |",
            *rows,
        ]
    ) + "\n"
