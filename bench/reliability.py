"""Benchmark what the poison-message guard costs per job: guard off vs on, same run, interleaved, median.

The guard counts each delivery before the job runs (one Redis round trip)
and drops the count after the ack from a background thread, many per call.
Each round drains 10,000 no-op jobs through 2 processes x 8 threads with
``DEFAULT_STACK``, once with ``SCALEJOBS["RELIABILITY"]["MAX_DEATHS"] = None``
(guard off) and once with the default 3, and measures the rate and the CPU
each job costs (worker processes from ``wait4`` less an idle run's, plus the
Redis server's), which other load on the machine disturbs far less than the rate.

Run with ``python bench/reliability.py``; writes ``bench/results/reliability.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, median, start_redis, start_worker, time_drain  # noqa: E402
from bench.unique_throttle import redis_cpu, stop_and_measure  # noqa: E402

SETTINGS = "bench.settings_reliability"
VARIANTS = {"off": "null", "on": "3"}


def idle_cpu(client: object, queue: str, max_deaths: str) -> float:
    """Return the CPU seconds of a worker that boots, finds nothing to do, and stops."""
    client.flushdb()  # type: ignore[attr-defined]
    worker = start_worker(SETTINGS, 2, 8, [queue], env={"BENCH_MAX_DEATHS": max_deaths})
    deadline = time.monotonic() + 120
    while client.zcard("dramatiq:__heartbeats__") < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    return stop_and_measure(worker)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    url, embedded = start_redis()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()
    import redis

    from bench import unique_throttle_jobs as jobs

    client = redis.Redis.from_url(url)
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_number in range(options.rounds):
        order = list(VARIANTS) if round_number % 2 == 0 else list(reversed(VARIANTS))
        for name in order:
            idle = idle_cpu(client, jobs.QUEUE, VARIANTS[name])
            client.flushdb()
            for n in range(options.jobs):
                jobs.plain.perform_later(n)
            worker = start_worker(SETTINGS, 2, 8, [jobs.QUEUE], env={"BENCH_MAX_DEATHS": VARIANTS[name]})
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
    table = "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} no-op jobs, 2 processes x 8 threads, "
            f"DEFAULT_STACK; Redis: {'embedded Valkey' if embedded else url}.",
            "",
            "| poison-message guard | processed jobs/s | ratio | CPU µs per job | CPU ratio |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| off (`MAX_DEATHS = None`) | {off_rate:,.0f} | 1.00 | {off_cpu * 1e6:,.0f} | 1.00 |",
            f"| on (`MAX_DEATHS = 3`, the default) | {on_rate:,.0f} | {on_rate / off_rate:.2f} | {on_cpu * 1e6:,.0f} "
            f"| {off_cpu / on_cpu:.2f} |",
            "",
            "The CPU ratio is guard-off CPU per job over guard-on: the throughput ratio a CPU-bound host would see.",
        ]
    )
    print("\n" + table)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "reliability.md").write_text(table + "\n")
    if embedded is not None:
        embedded.close()


if __name__ == "__main__":
    main()
