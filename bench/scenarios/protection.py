"""Benchmark ECS protection: agent calls per 10,000 jobs, and its cost in throughput.

Runs no-op jobs through 2 worker processes x 8 threads with ``DEFAULT_STACK``,
once with ECSProtection on (against the local fake ECS agent) and once with
it removed from the stack, interleaved, median of the rounds. Counts the
agent's PUT calls of each "on" round, up to the release after the idle grace;
a per-job approach would make two per job (20,000 per 10,000 jobs).

Writes ``bench/results/protection.md``.
"""

from __future__ import annotations

import argparse
import time

from bench.harness import Bench, median, start_worker, stop_worker, time_drain
from bench.overrides import merge, without_middleware

QUEUE = "default"
# Protection on, through the ECS variables of the fake agent, with a 2 s idle grace.
ON = {"SCALEJOBS": {"PROTECTION": {"ENABLED": True, "IDLE_GRACE_SECONDS": 2.0, "TICK_SECONDS": 0.5}}}
# Protection off: ECSProtection not in the stack at all.
OFF = merge(without_middleware("ECSProtection"), {"SCALEJOBS": {"PROTECTION": {"ENABLED": False}}})
SETTINGS: dict[str, object] = {}
QUICK = {"jobs": 2_000, "rounds": 1}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5)


def run(bench: Bench) -> str:
    from example_project.shop.tasks import noop
    from scalejobs.testing.ecs_agent import FakeAgent

    options, client = bench.options, bench.client
    agent = FakeAgent().start()
    rates: dict[str, list[float]] = {"off": [], "on": []}
    calls: list[int] = []
    try:
        for round_number in range(options.rounds):
            for mode in ("off", "on") if round_number % 2 == 0 else ("on", "off"):
                client.flushdb()
                agent.reset()
                for _ in range(options.jobs):
                    noop.send()
                worker = start_worker(2, 8, [QUEUE], ON, agent.environ()) if mode == "on" else start_worker(2, 8, [QUEUE], OFF)
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
    finally:
        agent.stop()

    off, on = median(rates["off"]), median(rates["on"])
    per_10k = max(calls) * 10_000 / options.jobs
    return "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} no-op jobs, 2 processes x 8 threads, "
            f"local fake ECS agent; Redis: {bench.server}.",
            "",
            "| measure | value |",
            "| --- | ---: |",
            f"| agent calls per busy period of {options.jobs:,} jobs, every round (enable + release) | {', '.join(map(str, calls))} |",
            f"| agent calls per 10,000 jobs, worst round (per-job protection: 20,000) | {per_10k:,.2f} |",
            f"| throughput, ECSProtection off (not in the stack), jobs/s | {off:,.0f} |",
            f"| throughput, ECSProtection on, jobs/s | {on:,.0f} |",
            f"| ratio on / off | {on / off:.2f} |",
        ]
    ) + "\n"
