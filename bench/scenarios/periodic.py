"""Benchmark periodic jobs across real worker processes: lateness, duplicates, hand-over.

1. Three ``rundramatiq`` processes run an every-second entry for ``--seconds``;
   lateness (message creation time minus tick time) is compared with a
   baseline measured at the same time: a bare loop in this process that sleeps
   until each tick and enqueues, with no election and no claim.
2. The leader is SIGKILLed (its whole process group, as when a container
   dies): time until another process leads, against the lease length, and
   whether the gap's ticks were caught up once each.
3. The new leader gets SIGTERM on its main process only, as ECS sends it:
   time until another process leads.

Defaults: the shipped lease settings; writes ``bench/results/periodic.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import threading
import time
from collections import Counter

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from bench.harness import Bench, start_worker, stop_worker

PROBE = "periodic-probe"
BASELINE = "periodic-baseline"
# One every-second entry, sent to a queue no benchmark worker consumes, so every message stays to be counted.
SETTINGS = {"SCALEJOBS": {"PERIODIC": {"ENTRIES": {"beat": {"job": "example_project.shop.tasks.noop", "every": 1, "queue": PROBE}}}}}
QUICK = {"seconds": 5, "lease": 3.0, "renew": 1.0}


def probe(client: redis.Redis, queue: str) -> list[dramatiq.Message]:
    return [dramatiq.Message.decode(raw) for raw in client.hvals(f"dramatiq:{queue}.msgs")]


def lateness_ms(messages: list[dramatiq.Message], tick_of) -> list[float]:
    return [message.message_timestamp - tick_of(message) * 1000 for message in messages]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def lateness_row(name: str, floor: float, late: float) -> str:
    # Message timestamps are whole milliseconds: below one, a ratio says nothing.
    ratio = f"{late / floor:.2f}" if floor >= 1 else "n/a"
    return f"| tick lateness {name}, ms (bare sleep-and-enqueue loop vs leader) | {floor:.1f} | {late:.1f} | {ratio} |"


def holder(client: redis.Redis) -> tuple[int, float] | None:
    fields = client.hmget("scalejobs:leader:lease", "pid", "since")
    return None if None in fields else (int(fields[0]), int(fields[1]) / 1000)


def wait(predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(predicate)
        time.sleep(0.01)
    return value


def baseline_loop(url: str, stop: threading.Event) -> None:
    """Sleep until each whole second and enqueue one message: the floor any scheduler sits on."""
    broker = RedisBroker(url=url)
    broker.declare_queue(BASELINE)
    while not stop.is_set():
        tick = int(time.time()) + 1
        time.sleep(max(0.0, tick - time.time()))
        broker.enqueue(dramatiq.Message(queue_name=BASELINE, actor_name="noop", args=(), kwargs={}, options={"tick": tick}))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=int, default=30, help="steady state measured before the hand-overs")
    parser.add_argument("--lease", type=float, default=15.0, help="SCALEJOBS['LEADER']['LEASE_SECONDS']")
    parser.add_argument("--renew", type=float, default=5.0, help="SCALEJOBS['LEADER']['RENEW_SECONDS']")


def run(bench: Bench) -> str:
    options, client, url = bench.options, bench.client, bench.url
    client.flushdb()
    leader = {"SCALEJOBS": {"LEADER": {"LEASE_SECONDS": options.lease, "RENEW_SECONDS": options.renew}}}
    workers = [start_worker(1, 1, ["default"], leader) for _ in range(3)]
    stop = threading.Event()
    try:
        wait(lambda: probe(client, PROBE))
        baseline = threading.Thread(target=baseline_loop, args=(url, stop), daemon=True)
        baseline.start()
        first = min(message.options["periodic_tick"] for message in probe(client, PROBE))
        wait(lambda: max(message.options["periodic_tick"] for message in probe(client, PROBE)) >= first + options.seconds)
        stop.set()
        baseline.join()
        steady = probe(client, PROBE)
        late = lateness_ms(steady, lambda message: message.options["periodic_tick"])
        floor = lateness_ms(probe(client, BASELINE), lambda message: message.options["tick"])

        killed, _ = holder(client)
        victim = next(worker for worker in workers if worker.poll() is None and os.getpgid(killed) == worker.pid)
        killed_at = time.time()
        os.killpg(victim.pid, signal.SIGKILL)
        successor, since = wait(lambda: (found := holder(client)) and found[0] != killed and found)
        after_kill = since - killed_at
        wait(lambda: max(message.options["periodic_tick"] for message in probe(client, PROBE)) >= since + 2)

        stopped = next(worker for worker in workers if worker.poll() is None and os.getpgid(successor) == worker.pid)
        stopped_at = time.time()
        os.kill(stopped.pid, signal.SIGTERM)
        _, third_since = wait(lambda: (found := holder(client)) and found[0] not in (killed, successor) and found)
        after_term = third_since - stopped_at
        wait(lambda: max(message.options["periodic_tick"] for message in probe(client, PROBE)) >= third_since + 2)
        ticks = Counter(message.options["periodic_tick"] for message in probe(client, PROBE))
        history = [json.loads(raw) for raw in client.lrange("scalejobs:periodic:history:beat", 0, -1)]
    finally:
        stop.set()
        for worker in workers:
            stop_worker(worker)

    duplicates = sum(count - 1 for count in ticks.values())
    missing = [tick for tick in range(first, max(ticks) + 1) if tick not in ticks]
    caught_up = sum(1 for record in history if record["status"] == "caught_up")
    return "\n".join(
        [
            f"3 worker processes, one `every(seconds=1)` entry; lease {options.lease:g} s, renewal every "
            f"{options.renew:g} s; {options.seconds} s steady state; Redis: {bench.server}.",
            "",
            "| measure | baseline | scalejobs | ratio |",
            "| --- | ---: | ---: | ---: |",
            lateness_row("p50", statistics.median(floor), statistics.median(late)),
            lateness_row("p99", percentile(floor, 0.99), percentile(late, 0.99)),
            f"| hand-over after SIGKILL, s (vs the lease) | {options.lease:.1f} | {after_kill:.2f} | {after_kill / options.lease:.2f} |",
            f"| hand-over after SIGTERM, s (vs the lease) | {options.lease:.1f} | {after_term:.2f} | {after_term / options.lease:.2f} |",
            "",
            f"Ticks {first}..{max(ticks)}: {len(ticks)} enqueued, {duplicates} duplicate, {len(missing)} missing; "
            f"{caught_up} caught up after the SIGKILL.",
        ]
    ) + "\n"
