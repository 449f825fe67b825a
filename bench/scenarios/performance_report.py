"""Turn the figures of the performance scenario into a Markdown report and a PNG chart."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import redis

PLAIN = "plain Dramatiq"
STACK = "DEFAULT_STACK"
UNIQUE = "+ unique_for"


@dataclass
class Figures:
    """What one system measured, each list with one value per round (latency: one per job).

    ``drains`` holds, per workload (``"noop"``, ``"incr"``), one
    ``(jobs per second, worker CPU seconds per job)`` per round.
    """

    enqueue_loop: list[float] = field(default_factory=list)
    enqueue_bulk: list[float] = field(default_factory=list)
    drains: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {"noop": [], "incr": []})
    latency: list[float] = field(default_factory=list)
    memory: list[int] = field(default_factory=list)

    @property
    def loop(self) -> float:
        return statistics.median(self.enqueue_loop)

    @property
    def bulk(self) -> float:
        return statistics.median(self.enqueue_bulk)

    @property
    def rate(self) -> float:
        """Return the median processing rate of no-op jobs."""
        return self.rate_of("noop")

    def rate_of(self, work: str) -> float:
        return statistics.median(rate for rate, _ in self.drains[work])

    def cpu_us(self, work: str) -> float:
        """Return the median worker CPU per job of ``work``, in microseconds."""
        return statistics.median(cpu for _, cpu in self.drains[work]) * 1e6

    @property
    def megabytes(self) -> float:
        return statistics.median(self.memory) / 2**20

    def latency_ms(self, pct: float) -> float:
        """Return the nearest-rank ``pct`` percentile of the latencies, in ms."""
        ordered = sorted(self.latency)
        return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)] * 1000

    def last(self) -> str:
        """Summarise the latest round, for the progress lines."""
        return (
            f"enqueue {self.enqueue_loop[-1]:,.0f}/s, bulk {self.enqueue_bulk[-1]:,.0f}/s, "
            f"processing {self.drains['noop'][-1][0]:,.0f}/s ({self.drains['noop'][-1][1] * 1e6:.0f} µs CPU/job), "
            f"one-INCR jobs {self.drains['incr'][-1][0]:,.0f}/s ({self.drains['incr'][-1][1] * 1e6:.0f} µs CPU/job), peak {self.memory[-1] / 2**20:.0f} MB, "
            f"latency p50 {self.latency_ms(50):.1f} ms p99 {self.latency_ms(99):.1f} ms so far"
        )


def machine(client: redis.Redis, url: str | None) -> dict[str, str]:
    """Describe the machine, the interpreter, the Redis server and the packages measured."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    server = client.info("server")
    kind, version = ("Valkey", server["valkey_version"]) if "valkey_version" in server else ("Redis", server["redis_version"])
    packages = ", ".join(f"{name} {metadata.version(name)}" for name in ("Django", "dramatiq", "django-dramatiq", "celery", "kombu", "rq", "redis"))
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))})",
        "python": platform.python_version(),
        "redis": f"{kind} {version}, " + (f"at {url}" if url else "embedded, on a unix socket, started for the run"),
        "packages": packages,
        "date": dt.date.today().isoformat(),
    }


def render(figures: dict[str, Figures], run: dict[str, Any]) -> str:
    """Return the Markdown report: machine, table with ratios to plain Dramatiq, targets, notes."""
    plain = figures.get(PLAIN)
    server = run["server"]

    def ratio(value: float, base: float | None) -> str:
        return f" ({value / base:.2f}x)" if base else ""

    lines = [
        f"Machine: {server['cpu']}; Python {server['python']}; {server['redis']}.",
        f"Packages: {server['packages']}. Run on {server['date']} with `{run['command']}` "
        f"({run['rounds']} interleaved round{'s' if run['rounds'] > 1 else ''}, {run['minutes']:.0f} minutes).",
        "",
        "| system | enqueue, loop /s | enqueue, bulk API /s | bulk / loop | processing no-op jobs/s "
        "| processing one-INCR jobs/s | worker CPU µs/job, no-op / one-INCR | enqueue -> start p50 ms | p99 ms | peak worker RSS, MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in figures.items():
        incr = values.rate_of("incr")
        lines.append(
            f"| {name} | {values.loop:,.0f}{ratio(values.loop, plain and plain.loop)} "
            f"| {values.bulk:,.0f}{ratio(values.bulk, plain and plain.bulk)} | {values.bulk / values.loop:.1f}x "
            f"| {values.rate:,.0f}{ratio(values.rate, plain and plain.rate)} "
            f"| {incr:,.0f}{ratio(incr, plain and plain.rate_of('incr'))} "
            f"| {values.cpu_us('noop'):,.0f} / {values.cpu_us('incr'):,.0f} "
            f"| {values.latency_ms(50):.1f} | {values.latency_ms(99):.1f} "
            f"| {values.megabytes:.0f}{ratio(values.megabytes, plain and plain.megabytes)} |"
        )
    lines += ["", *_targets(figures), "", *_notes(figures, run)]
    return "\n".join(lines) + "\n"


def _targets(figures: dict[str, Figures]) -> list[str]:
    if STACK not in figures:
        return []
    stack = figures[STACK]
    rows = ["| target | measured | met |", "| --- | --- | --- |"]

    def row(target: str, measured: str, met: bool) -> None:
        rows.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")

    if PLAIN in figures:
        plain = figures[PLAIN]
        incr = stack.rate_of("incr") / plain.rate_of("incr")
        row("`DEFAULT_STACK` processing one-INCR jobs >= 1.3x plain Dramatiq", f"{incr:.2f}x", incr >= 1.3)
        row("`DEFAULT_STACK` processing no-op jobs >= 1x plain Dramatiq", f"{stack.rate / plain.rate:.2f}x", stack.rate >= plain.rate)
        row("`DEFAULT_STACK` enqueue (loop) >= 0.95x plain Dramatiq", f"{stack.loop / plain.loop:.2f}x", stack.loop >= 0.95 * plain.loop)
        if UNIQUE in figures:
            unique = figures[UNIQUE].loop / plain.loop
            row("`unique_for` enqueue (loop) >= 0.8x a plain Dramatiq send", f"{unique:.2f}x", unique >= 0.8)
    row("`perform_bulk` >= 7x a `perform_later` loop", f"{stack.bulk / stack.loop:.1f}x", stack.bulk >= 7 * stack.loop)
    row("`DEFAULT_STACK` enqueue -> start p99 <= 5 ms", f"{stack.latency_ms(99):.1f} ms", stack.latency_ms(99) <= 5)
    for name, values in figures.items():
        if name.startswith(("Celery", "RQ")):
            for work, label in (("noop", "no-op"), ("incr", "one-INCR")):
                ahead = stack.rate_of(work) / values.rate_of(work)
                row(f"`DEFAULT_STACK` processing {label} jobs ahead of {name}", f"{ahead:.2f}x", ahead > 1)
            row(f"`DEFAULT_STACK` enqueue (loop) ahead of {name}", f"{stack.loop / values.loop:.2f}x", stack.loop > values.loop)
            row(f"`perform_bulk` ahead of {name}'s bulk API", f"{stack.bulk / values.bulk:.2f}x", stack.bulk > values.bulk)
    return rows


def _notes(figures: dict[str, Figures], run: dict[str, Any]) -> list[str]:
    bulk = "; ".join(f"{name}: {api}" for name, api in run["bulk_api"].items())
    return [
        f"- Enqueue: {run['enqueues']:,} no-op jobs per measurement, from one Python process, the median of "
        f"{run['enqueue_repeats']} timings per round; bulk APIs: {bulk}.",
        f"- Processing: {run['jobs']:,} jobs queued first, timed from the first one taken until none is queued or "
        "unacknowledged; once no-op jobs, once jobs that make one Redis round trip (`INCR`, through each system's usual "
        "client), as real jobs touch a store. Worker CPU: user + system time of the worker process trees during the "
        "drain, divided by the jobs. Dramatiq and scalejobs: 2 processes x 8 threads (`rundramatiq`); Celery: prefork with "
        "concurrency 2, or 2 processes with a pool of 8 threads, prefetch multiplier 64, without gossip, mingle and "
        "heartbeat, results ignored; RQ: 2 `SimpleWorker` processes, `result_ttl=0`.",
        f"- Latency: {run['latency_jobs']} jobs per system, each sent after the previous one started plus a random "
        f"pause of up to {run['gap'] * 1000:.0f} ms, to the same workers once idle; nearest-rank percentiles.",
        "- Peak worker RSS: the most, over the drain and the idle phase, of the RSS summed over every process of the "
        "worker trees (masters and children; pages shared after a fork count in each process).",
        "- `+ unique_for`, `+ Concurrency(1000)` and `+ ECS protection` are `DEFAULT_STACK` with that one option on "
        f"the job (protection: on, against the local fake ECS agent, which took {run['agent_calls']} protection calls "
        "in the run: one per busy period, not per job).",
    ]


def render_chart(figures: dict[str, Figures], path: Path) -> None:
    """Draw the four figures as horizontal bar charts into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    names = list(figures)
    positions = list(range(len(names)))
    figure, axes = plt.subplots(2, 2, figsize=(13, 8), constrained_layout=True)
    panels = [
        (axes[0][0], "enqueue, jobs/s (log)", [("loop", [figures[n].loop for n in names]), ("bulk API", [figures[n].bulk for n in names])], True),
        (
            axes[0][1],
            "processing, jobs/s (2 cores)",
            [("no-op", [figures[n].rate for n in names]), ("one INCR", [figures[n].rate_of("incr") for n in names])],
            False,
        ),
        (axes[1][0], "enqueue -> start, ms (log)", [("p50", [figures[n].latency_ms(50) for n in names]), ("p99", [figures[n].latency_ms(99) for n in names])], True),
        (axes[1][1], "peak worker RSS, MB", [("RSS", [figures[n].megabytes for n in names])], False),
    ]
    for axis, title, series, log in panels:
        height = 0.8 / len(series)
        for offset, (label, values) in enumerate(series):
            bars = axis.barh([p + offset * height for p in positions], values, height=height, label=label)
            axis.bar_label(bars, labels=[_short(value) for value in values], fontsize=7, padding=2)
        axis.set_yticks([p + height * (len(series) - 1) / 2 for p in positions], names)
        axis.invert_yaxis()
        axis.set_title(title)
        if log:
            axis.set_xscale("log")
            axis.xaxis.set_minor_formatter(NullFormatter())
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _short(value)))
        axis.margins(x=0.12)
        if len(series) > 1:
            axis.legend(loc="best")
        axis.grid(axis="x", alpha=0.3)
    figure.suptitle("scalejobs vs plain Dramatiq, Celery and RQ (same machine, same Redis)")
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _short(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.0f}k" if value >= 10_000 else f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
