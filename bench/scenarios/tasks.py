"""Benchmark the Django Tasks backend against the jobs API it is built on, interleaved, median of 3.

1. Enqueue rate: ``task.enqueue()`` (sends, then writes the READY result)
   vs ``job.perform_later()``.
2. Processing rate of no-ops, 1 process x 8 threads, ``DEFAULT_STACK``:
   Django tasks (a result written at start and at end) vs scalejobs jobs.

Writes ``bench/results/tasks.md``.
"""

from __future__ import annotations

import argparse
import time

from bench.harness import Bench, interleaved, median, start_worker, stop_worker, time_drain

SETTINGS: dict[str, object] = {}
QUICK = {"jobs": 500, "enqueues": 300, "rounds": 1}
QUEUE = "default"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--enqueues", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)


def run(bench: Bench) -> str:
    from bench.jobs.django_tasks import noop as task_noop
    from example_project.shop.tasks import noop as job_noop

    options, client = bench.options, bench.client
    calls = {"perform_later": job_noop.perform_later, "task.enqueue": task_noop.enqueue}
    enqueue: dict[str, list[float]] = {name: [] for name in calls}
    process: dict[str, list[float]] = {"jobs": [], "tasks": []}
    for round_number in range(options.rounds):
        for name in interleaved(list(calls), round_number):
            client.flushdb()
            started = time.perf_counter()
            for _ in range(options.enqueues):
                calls[name]()
            enqueue[name].append(options.enqueues / (time.perf_counter() - started))
        for name in interleaved(list(process), round_number):
            client.flushdb()
            send = job_noop.perform_later if name == "jobs" else task_noop.enqueue
            for _ in range(options.jobs):
                send()
            worker = start_worker(1, 8, [QUEUE])
            try:
                process[name].append(options.jobs / time_drain(client, QUEUE, options.jobs))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in {**enqueue, **process}.items()), flush=True)

    later, enqueued = median(enqueue["perform_later"]), median(enqueue["task.enqueue"])
    jobs, tasks = median(process["jobs"]), median(process["tasks"])
    return "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.enqueues:,} enqueues per loop, "
            f"{options.jobs:,} no-ops, 1 process x 8 threads, DEFAULT_STACK; Redis: {bench.server}.",
            "",
            "| measure | jobs API | Django tasks | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| enqueue (`perform_later` vs `task.enqueue`), msgs/s | {later:,.0f} | {enqueued:,.0f} | {enqueued / later:.2f} |",
            f"| processing no-ops, per s | {jobs:,.0f} | {tasks:,.0f} | {tasks / jobs:.2f} |",
        ]
    ) + "\n"
