"""Benchmark batches: the same no-op jobs inside a ``scalejobs.Batch`` and outside one, and Celery's chord.

Each round, in an order that alternates, sends ``--jobs`` no-op jobs

1. outside any batch, with a ``perform_later`` loop and with ``perform_bulk``;
2. inside one ``Batch`` with an ``on_complete`` callback, the same two ways;
3. as a Celery chord (``chord(header)(callback)``, Redis broker and result backend),

and then drains the loop-sent jobs with 2 worker processes x 8 threads
(Celery: 2 thread-pool workers x 8), timed from the first job taken until
the queue is empty (outside) or the callback ran (batch, chord). Figures
are medians over the rounds. Writes ``bench/results/batch.md``.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.harness import Bench, median, spawn, start_worker, stop_worker, time_drain
from bench.overrides import worker_jobs

SETTINGS = worker_jobs("batch")
QUICK = {"jobs": 500, "rounds": 1}
THREADS = 8
BULK_CHUNK = 1000
TIMEOUT = 600.0


def wait_started(client: object, key: str, total: int) -> float:
    """Wait until a worker took the first job of ``key`` (a list of ``total``); return that moment."""
    deadline = time.monotonic() + TIMEOUT
    while client.llen(key) >= total:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise TimeoutError("the workers never started consuming")
        time.sleep(0.002)
    return time.perf_counter()


def wait_for_key(client: object, key: str) -> float:
    deadline = time.monotonic() + TIMEOUT
    while not client.llen(key):  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{key} never filled")
        time.sleep(0.005)
    return time.perf_counter()


def scalejobs_round(client: object, jobs: int, *, in_batch: bool) -> tuple[float, float, float]:
    """Return (loop enqueue /s, bulk enqueue /s, processing /s) of ``jobs`` no-op jobs in a batch or not."""
    import scalejobs
    from bench.jobs import batch as batch_jobs

    def send_loop() -> None:
        for n in range(jobs):
            batch_jobs.noop.perform_later(n)

    def send_bulk() -> None:
        for start in range(0, jobs, BULK_CHUNK):
            batch_jobs.noop.perform_bulk([(n,) for n in range(start, min(jobs, start + BULK_CHUNK))])

    def timed(send: object) -> float:
        began = time.perf_counter()
        if in_batch:
            with scalejobs.Batch("bench", on_complete=batch_jobs.done):
                send()  # type: ignore[operator]
        else:
            send()  # type: ignore[operator]
        return jobs / (time.perf_counter() - began)

    client.flushdb()  # type: ignore[attr-defined]
    bulk = timed(send_bulk)
    client.flushdb()  # type: ignore[attr-defined]
    loop = timed(send_loop)
    worker = start_worker(2, THREADS, [batch_jobs.QUEUE])
    try:
        if in_batch:
            started = wait_started(client, f"dramatiq:{batch_jobs.QUEUE}", jobs)
            seconds = wait_for_key(client, batch_jobs.DONE) - started
        else:
            seconds = time_drain(client, batch_jobs.QUEUE, jobs)  # type: ignore[arg-type]
    finally:
        stop_worker(worker)
    return loop, bulk, jobs / seconds


def chord_round(client: object, jobs: int) -> tuple[float, float]:
    """Return (enqueue /s, processing /s) of a Celery chord of ``jobs`` no-op tasks."""
    from celery import chord

    from bench.jobs import celery_chord

    client.flushdb()  # type: ignore[attr-defined]
    began = time.perf_counter()
    chord(celery_chord.noop.s(n) for n in range(jobs))(celery_chord.done.s())
    enqueue = jobs / (time.perf_counter() - began)
    command = [sys.executable, "-m", "celery", "-A", "bench.jobs.celery_chord", "worker", "--queues", celery_chord.QUEUE, "--loglevel", "WARNING"]
    command += ["--prefetch-multiplier", "64", "--without-gossip", "--without-mingle", "--without-heartbeat", "--pool", "threads"]
    workers = [spawn([*command, "--concurrency", str(THREADS), "--hostname", f"chord{n}@%h"]) for n in range(2)]
    try:
        started = wait_started(client, celery_chord.QUEUE, jobs)
        seconds = wait_for_key(client, celery_chord.DONE) - started
        joined = int(client.lindex(celery_chord.DONE, 0))  # type: ignore[attr-defined]
        if joined != jobs:
            raise AssertionError(f"the chord callback joined {joined} results, not {jobs}")
    finally:
        for worker in workers:
            stop_worker(worker)
    return enqueue, jobs / seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)


def run(bench: Bench) -> str:
    options, client = bench.options, bench.client
    figures: dict[str, list[tuple[float, ...]]] = {"outside": [], "batch": [], "chord": []}
    for round_number in range(options.rounds):
        order = ["outside", "batch", "chord"] if round_number % 2 == 0 else ["chord", "batch", "outside"]
        for name in order:
            if name == "chord":
                figures[name].append(chord_round(client, options.jobs))
            else:
                figures[name].append(scalejobs_round(client, options.jobs, in_batch=name == "batch"))
        print(f"round {round_number + 1}: {figures}", flush=True)

    def med(name: str, index: int) -> float:
        return median([values[index] for values in figures[name]])

    outside = (med("outside", 0), med("outside", 1), med("outside", 2))
    batch = (med("batch", 0), med("batch", 1), med("batch", 2))
    chord_enqueue, chord_processing = med("chord", 0), med("chord", 1)
    return "\n".join(
        [
            f"Median of {options.rounds} interleaved rounds; {options.jobs:,} no-op jobs; 2 processes x {THREADS} threads "
            f"(Celery: 2 thread-pool workers x {THREADS}); DEFAULT_STACK; Redis: {bench.server}.",
            "",
            "| jobs | enqueue, perform_later loop /s | enqueue, perform_bulk /s | processing until done, jobs/s |",
            "| --- | ---: | ---: | ---: |",
            f"| outside a batch | {outside[0]:,.0f} (1.00x) | {outside[1]:,.0f} (1.00x) | {outside[2]:,.0f} (1.00x) |",
            f"| in a `scalejobs.Batch` | {batch[0]:,.0f} ({batch[0] / outside[0]:.2f}x) | {batch[1]:,.0f} ({batch[1] / outside[1]:.2f}x) "
            f"| {batch[2]:,.0f} ({batch[2] / outside[2]:.2f}x) |",
            f"| Celery chord | {chord_enqueue:,.0f} ({chord_enqueue / outside[0]:.2f}x) | (the chord is its bulk API) "
            f"| {chord_processing:,.0f} ({chord_processing / outside[2]:.2f}x) |",
            "",
            "Processing runs from the first job taken until the queue is empty (outside a batch) or the callback ran "
            "(batch: `on_complete`; chord: its body). The chord is sent with one `chord(...)(callback)` call.",
        ]
    ) + "\n"
