"""Benchmark the foundation against plain Dramatiq, interleaved, median of 3.

1. Enqueue rate: ``job.perform_later()`` vs the raw ``actor.send()``.
2. Processing rate of no-op jobs: ``DEFAULT_STACK`` vs Dramatiq's default
   middleware, 2 processes x 8 threads, 20,000 jobs.

Run with ``make bench`` (or ``python bench/foundation.py``); writes
``bench/results/foundation.md``.
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
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--enqueues", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    url, embedded = start_redis()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    import django

    django.setup()
    import dramatiq
    import redis

    from example_project.shop.tasks import noop as bench_noop

    client = redis.Redis.from_url(url)
    client.flushdb()

    def plain_send() -> None:
        # Dramatiq's own Actor.send path, without the scalejobs argument check.
        dramatiq.Actor.send_with_options(bench_noop)

    enqueue: dict[str, list[float]] = {"send": [], "perform_later": []}
    process: dict[str, list[float]] = {"plain Dramatiq": [], "DEFAULT_STACK": []}
    for round_number in range(options.rounds):
        order = list(enqueue) if round_number % 2 == 0 else list(reversed(enqueue))
        for name in order:
            client.flushdb()
            call = bench_noop.perform_later if name == "perform_later" else plain_send
            started = time.perf_counter()
            for _ in range(options.enqueues):
                call()
            enqueue[name].append(options.enqueues / (time.perf_counter() - started))
        order = list(process) if round_number % 2 == 0 else list(reversed(process))
        for name in order:
            client.flushdb()
            for _ in range(options.jobs):
                bench_noop.send()
            settings = "bench.settings_plain" if name == "plain Dramatiq" else "bench.settings_scalejobs"
            worker = start_worker(settings, 2, 8, [QUEUE])
            try:
                process[name].append(options.jobs / time_drain(client, QUEUE, options.jobs))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in {**enqueue, **process}.items()), flush=True)

    send, later = median(enqueue["send"]), median(enqueue["perform_later"])
    plain, stack = median(process["plain Dramatiq"]), median(process["DEFAULT_STACK"])
    table = "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.enqueues:,} enqueues per loop, "
            f"{options.jobs:,} no-op jobs, 2 processes x 8 threads; Redis: {'embedded Valkey' if embedded else url}.",
            "",
            "| measure | baseline | scalejobs | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| enqueue (`actor.send` vs `perform_later`), msgs/s | {send:,.0f} | {later:,.0f} | {later / send:.2f} |",
            f"| processing (Dramatiq default vs `DEFAULT_STACK`), jobs/s | {plain:,.0f} | {stack:,.0f} | {stack / plain:.2f} |",
        ]
    )
    print("\n" + table)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "foundation.md").write_text(table + "\n")
    if embedded is not None:
        embedded.close()


if __name__ == "__main__":
    main()
