"""What ``encrypt=True`` costs: enqueue and processing rates of the same job, plain and sealed.

Interleaved rounds, median of 3: ``perform_later`` in one thread (on_commit
off), then a worker (1 process x 8 threads, ``DEFAULT_STACK``) draining
the queue. Run with ``python bench/encryption.py``; writes
``bench/results/encryption.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, median, start_redis, start_worker, stop_worker, time_drain  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    url, embedded = start_redis()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_encryption")
    import django

    django.setup()
    import redis

    from bench.encryption_jobs import ARGUMENTS, QUEUE, plain, sealed

    client = redis.Redis.from_url(url)
    jobs = {"plain": plain, "encrypt=True": sealed}
    enqueue: dict[str, list[float]] = {name: [] for name in jobs}
    process: dict[str, list[float]] = {name: [] for name in jobs}
    for round_number in range(options.rounds):
        order = list(jobs) if round_number % 2 == 0 else list(reversed(jobs))
        for name in order:
            client.flushdb()
            started = time.perf_counter()
            for _ in range(options.jobs):
                jobs[name].perform_later(*ARGUMENTS)
            enqueue[name].append(options.jobs / (time.perf_counter() - started))
            worker = start_worker("bench.settings_encryption", 1, 8, [QUEUE])
            try:
                process[name].append(options.jobs / time_drain(client, QUEUE, options.jobs))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: " + ", ".join(f"{n} {enqueue[n][-1]:.0f}/s enqueued, {process[n][-1]:.0f}/s run" for n in jobs), flush=True)

    rows = [f"| {name} | {median(enqueue[name]):,.0f} | {median(process[name]):,.0f} |" for name in jobs]
    table = "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} jobs of three arguments per loop, enqueued by "
            f"`perform_later` in one thread, run by 1 process x 8 threads with `DEFAULT_STACK`; Redis: "
            f"{'embedded Valkey' if embedded else url}.",
            "",
            "| job | enqueue, msgs/s | processing, jobs/s |",
            "| --- | ---: | ---: |",
            *rows,
        ]
    )
    print("\n" + table)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "encryption.md").write_text(table + "\n")
    if embedded is not None:
        embedded.stop()


if __name__ == "__main__":
    main()
