"""Benchmark ECS protection: agent calls per 10,000 jobs, and its cost in throughput.

Runs no-op jobs through 2 worker processes x 8 threads with ``DEFAULT_STACK``,
once with ECSProtection on (against the local fake ECS agent) and once with
it removed from the stack, interleaved, median of the rounds. Counts the
agent's PUT calls of each "on" round, up to the release after the idle grace;
a per-job approach would make two per job (20,000 per 10,000 jobs).

Run with ``python bench/protection.py [--jobs 30000] [--rounds 5]``; writes
``bench/results/protection.md``.
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
SETTINGS = "bench.settings_protection"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    url, embedded = start_redis()
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["BENCH_PROTECTION"] = "off"
    import django

    django.setup()
    import redis

    from example_project.shop.tasks import noop
    from scalejobs.testing.ecs_agent import FakeAgent

    client = redis.Redis.from_url(url)
    agent = FakeAgent().start()
    rates: dict[str, list[float]] = {"off": [], "on": []}
    calls: list[int] = []
    for round_number in range(options.rounds):
        for mode in ("off", "on") if round_number % 2 == 0 else ("on", "off"):
            client.flushdb()
            agent.reset()
            for _ in range(options.jobs):
                noop.send()
            env = {"BENCH_PROTECTION": mode, **(agent.environ() if mode == "on" else {})}
            worker = start_worker(SETTINGS, 2, 8, [QUEUE], env=env)
            try:
                rates[mode].append(options.jobs / time_drain(client, QUEUE, options.jobs))
                if mode == "on":
                    deadline = time.monotonic() + 30
                    while not (agent.puts() and agent.puts()[-1].enabled is False) and time.monotonic() < deadline:
                        time.sleep(0.05)
                    calls.append(len(agent.puts()))
            finally:
                stop_worker(worker)
        print(f"round {round_number + 1}: off {rates['off'][-1]:.0f}/s, on {rates['on'][-1]:.0f}/s, agent calls {calls[-1]}", flush=True)

    off, on = median(rates["off"]), median(rates["on"])
    per_10k = max(calls) * 10_000 / options.jobs
    table = "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} no-op jobs, 2 processes x 8 threads, "
            f"local fake ECS agent; Redis: {'embedded Valkey' if embedded else url}.",
            "",
            "| measure | value |",
            "| --- | ---: |",
            f"| agent calls per busy period of {options.jobs:,} jobs, every round (enable + release) | {', '.join(map(str, calls))} |",
            f"| agent calls per 10,000 jobs, worst round (per-job protection: 20,000) | {per_10k:,.2f} |",
            f"| throughput, ECSProtection off (not in the stack), jobs/s | {off:,.0f} |",
            f"| throughput, ECSProtection on, jobs/s | {on:,.0f} |",
            f"| ratio on / off | {on / off:.2f} |",
        ]
    )
    print("\n" + table)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "protection.md").write_text(table + "\n")
    agent.stop()
    if embedded is not None:
        embedded.close()


if __name__ == "__main__":
    main()
