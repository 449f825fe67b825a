"""Benchmark the Django Tasks backend against the jobs API it is built on, interleaved, median of 3.

1. Enqueue rate: ``task.enqueue()`` (sends, then writes the READY result)
   vs ``job.perform_later()``.
2. Processing rate of no-ops, 1 process x 8 threads, ``DEFAULT_STACK``:
   Django tasks (a result written at start and at end) vs scalejobs jobs.

Run with ``python bench/tasks.py``; writes ``bench/results/tasks.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, median, start_redis, start_worker, stop_worker, time_drain  # noqa: E402

QUEUE = "default"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--enqueues", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    url, embedded = start_redis()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_scalejobs")
    import django

    django.setup()
    import redis

    from bench.task_functions import noop as task_noop
    from example_project.shop.tasks import noop as job_noop

    client = redis.Redis.from_url(url)
    calls = {"perform_later": job_noop.perform_later, "task.enqueue": task_noop.enqueue}
    enqueue: dict[str, list[float]] = {name: [] for name in calls}
    process: dict[str, list[float]] = {"jobs": [], "tasks": []}
    for round_number in range(options.rounds):
        order = list(calls) if round_number % 2 == 0 else list(reversed(calls))
        for name in order:
            client.flushdb()
            started = time.perf_counter()
            for _ in range(options.enqueues):
                calls[name]()
            enqueue[name].append(options.enqueues / (time.perf_counter() - started))
        order = list(process) if round_number % 2 == 0 else list(reversed(process))
        for name in order:
            client.flushdb()
            send = job_noop.perform_later if name == "jobs" else task_noop.enqueue
            for _ in range(options.jobs):
                send()
            worker = start_worker("bench.settings_scalejobs", 1, 8, [QUEUE])
            try:
                process[name].append(options.jobs / time_drain(client, QUEUE, options.jobs))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in {**enqueue, **process}.items()), flush=True)

    later, enqueued = median(enqueue["perform_later"]), median(enqueue["task.enqueue"])
    jobs, tasks = median(process["jobs"]), median(process["tasks"])
    table = "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.enqueues:,} enqueues per loop, "
            f"{options.jobs:,} no-ops, 1 process x 8 threads, DEFAULT_STACK; "
            f"Redis: {'embedded Valkey' if embedded else url}.",
            "",
            "| measure | jobs API | Django tasks | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| enqueue (`perform_later` vs `task.enqueue`), msgs/s | {later:,.0f} | {enqueued:,.0f} | {enqueued / later:.2f} |",
            f"| processing no-ops, per s | {jobs:,.0f} | {tasks:,.0f} | {tasks / jobs:.2f} |",
        ]
    )
    print("\n" + table)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "tasks.md").write_text(table + "\n")
    if embedded is not None:
        embedded.close()


if __name__ == "__main__":
    main()
