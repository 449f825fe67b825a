"""Simulate the whole autoscaling loop: load rises, tasks are added, load falls, idle tasks are removed.

A controller does what Application Auto Scaling and the ECS service
scheduler do together: it reads the ``BacklogPerTask`` the leader publishes
as EMF lines on its task's output (as CloudWatch would from the logs), keeps
it near a target by changing the desired count (scale out on one reading
above the target, in after ``scale_in_readings`` readings below 90 % of it
and a cooldown), starts tasks to reach it, and stops only tasks whose fake
ECS agent says they are unprotected: SIGTERM, then SIGKILL of the whole
group after ``stop_timeout``. Each task is one ``rundramatiq`` process group
with its own agent emulator and task ARN.

A producer offers a load ramp of 20-500 ms jobs plus a share of long ones;
the report gives tasks over time, the wait of jobs before they start
(p50/p99) during the ramp, the scale-out reaction time, the jobs cut short
(started and never finished) and the jobs lost (never done), and draws load,
backlog, tasks and latency on one time axis.

``make autoscale-demo`` runs it (about 6 minutes; ``--quick`` runs the short
ramp of the test suite); writes ``bench/results/autoscale.md`` and ``.png``.
It is long because one run holds a whole simulation and its report.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Bench, worker_environment
from bench.overrides import merge, worker_jobs

# Each task runs with its own fake ECS agent (the ``ECS_*`` variables the simulation passes), so protection is
# on, and the metrics go out as EMF lines on the task's output every 10 s (the shortest interval allowed).
SETTINGS = merge(
    worker_jobs("autoscale"),
    {
        "SCALEJOBS": {
            "METRICS": {"EMF": True, "INTERVAL_SECONDS": 10, "DIMENSIONS": {"Service": "worker"}},
            "PROTECTION": {"ENABLED": True, "IDLE_GRACE_SECONDS": 2.0, "TICK_SECONDS": 0.5, "SHUTDOWN_BUDGET_SECONDS": 25.0},
            "DASHBOARD": {"HEARTBEAT_SECONDS": 1.0, "WORKER_TIMEOUT_SECONDS": 10},
        }
    },
)
# --quick runs QUICK_RAMP instead of FULL_RAMP.
QUICK: dict[str, object] = {}


@dataclass(frozen=True, kw_only=True)
class Ramp:
    """A load ramp and the scaling rules applied to it."""

    name: str
    # (seconds, jobs/s at the start, jobs/s at the end), in order.
    phases: tuple[tuple[float, float, float], ...]
    threads: int
    min_tasks: int
    max_tasks: int
    # BacklogPerTask to hold: acceptable wait / mean job time x threads per task.
    target: float
    short_seconds: tuple[float, float] = (0.02, 0.5)
    long_share: float = 0.005
    long_seconds: tuple[float, float] = (8.0, 15.0)
    scale_in_readings: int = 3
    scale_in_cooldown: float = 30.0
    stop_timeout: float = 30.0
    # After the ramp, how long the fleet may take to drain and scale in.
    settle_seconds: float = 180.0


FULL_RAMP = Ramp(
    name="full",
    phases=((20, 0, 0), (40, 0, 200), (60, 200, 200), (40, 200, 0), (20, 0, 0)),
    threads=8,
    min_tasks=1,
    max_tasks=12,
    target=60.0,
)
QUICK_RAMP = Ramp(
    name="quick",
    phases=((2, 0, 0), (20, 40, 40)),
    threads=4,
    min_tasks=1,
    max_tasks=3,
    target=20.0,
    long_share=0.01,
    long_seconds=(3.0, 5.0),
    scale_in_readings=1,
    scale_in_cooldown=0.0,
    settle_seconds=150.0,
)


class Task:
    """One ECS task: a ``rundramatiq`` process group and its own agent emulator."""

    def __init__(self, number: int, ramp: Ramp, log_dir: Path, env: dict[str, str]) -> None:
        from scalejobs.testing.ecs_agent import FakeAgent

        self.number = number
        self.arn = f"arn:aws:ecs:us-east-1:123456789012:task/sim/{number:032x}"
        self.agent = FakeAgent(task_arn=self.arn, cluster="sim").start()
        self.log = log_dir / f"task-{number}.log"
        self._log_file = self.log.open("wb")
        command = [
            sys.executable, "manage.py", "rundramatiq", "--skip-logging",
            "--processes", "1", "--threads", str(ramp.threads), "--queues", "autoscale",
        ]  # fmt: skip
        environment = worker_environment(SETTINGS, {**env, **self.agent.environ()})
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started_at = time.time()
        self.ready_at: float | None = None
        self.stop_sent_at: float | None = None
        self.killed = False
        self.offset = 0

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        """Send SIGTERM to the master, as ECS does to the container's PID 1."""
        self.stop_sent_at = time.time()
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the whole group, as ECS does after stopTimeout."""
        self.killed = True
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.alive:
            self.kill()
        self.process.wait(10)
        self._log_file.close()
        self.agent.stop()

    def new_documents(self) -> list[dict[str, Any]]:
        """Return the EMF documents written since the last call."""
        with self.log.open("rb") as stream:
            stream.seek(self.offset)
            data = stream.read()
        complete = data.rfind(b"\n") + 1
        self.offset += complete
        found = []
        for line in data[:complete].decode(errors="replace").splitlines():
            if line.startswith('{"_aws"'):
                found.append(json.loads(line))
        return found


@dataclass
class Run:
    """Everything observed during one simulation."""

    ramp: Ramp
    started: float = 0.0
    load_started: float = 0.0
    load_ended: float = 0.0
    samples: list[dict[str, float]] = field(default_factory=list)
    readings: list[tuple[float, float]] = field(default_factory=list)
    decisions: list[tuple[float, int]] = field(default_factory=list)
    enqueued: int = 0
    tasks: list[Task] = field(default_factory=list)
    waits: list[tuple[float, float]] = field(default_factory=list)
    cut_short: int = 0
    lost: int = 0
    settled: bool = False

    def rate_at(self, moment: float) -> float:
        elapsed = moment - self.load_started
        for seconds, start, end in self.ramp.phases:
            if elapsed < seconds:
                return start + (end - start) * max(0.0, elapsed) / seconds
            elapsed -= seconds
        return 0.0


class Controller:
    """Application Auto Scaling's target tracking plus the ECS scheduler, on the published metric."""

    def __init__(self, run: Run, log_dir: Path, env: dict[str, str]) -> None:
        self.run = run
        self.ramp = run.ramp
        self.log_dir = log_dir
        self.env = env
        self.desired = self.ramp.min_tasks
        self.last_reading = 0.0
        self.below = 0
        self.last_scale_in = 0.0

    def serving(self) -> list[Task]:
        return [task for task in self.run.tasks if task.alive and task.stop_sent_at is None]

    def read(self) -> dict[str, Any] | None:
        """Return the newest fleet document any task has written, if newer than the last one acted on."""
        newest = None
        for task in self.run.tasks:
            for document in task.new_documents():
                if "Queue" in document or "Actor" in document:
                    continue
                if newest is None or document["_aws"]["Timestamp"] > newest["_aws"]["Timestamp"]:
                    newest = document
        if newest is None or newest["_aws"]["Timestamp"] / 1000 <= self.last_reading:
            return None
        self.last_reading = newest["_aws"]["Timestamp"] / 1000
        return newest

    def decide(self, document: dict[str, Any]) -> None:
        ramp, now = self.ramp, time.time()
        metric = float(document["BacklogPerTask"])
        self.run.readings.append((self.last_reading, metric))
        current = max(1, len(self.serving()))
        wanted = math.ceil(current * metric / ramp.target)
        if metric > ramp.target:
            self.below = 0
            desired = min(ramp.max_tasks, max(self.desired, wanted))
        elif metric < 0.9 * ramp.target:
            self.below += 1
            desired = self.desired
            if self.below >= ramp.scale_in_readings and now - self.last_scale_in >= ramp.scale_in_cooldown:
                desired = max(ramp.min_tasks, min(self.desired, wanted))
                if desired < self.desired:
                    self.last_scale_in = now
        else:
            self.below, desired = 0, self.desired
        if desired != self.desired:
            self.run.decisions.append((now, desired))
            self.desired = desired

    def reconcile(self) -> None:
        """Start tasks up to the desired count; stop unprotected ones above it; SIGKILL overstayers."""
        now = time.time()
        serving = self.serving()
        for _ in range(self.desired - len(serving)):
            self.run.tasks.append(Task(len(self.run.tasks), self.ramp, self.log_dir, self.env))
        excess = len(serving) - self.desired
        for task in [task for task in serving if task.ready_at is not None and not task.agent.protected][: max(0, excess)]:
            task.terminate()
        for task in self.run.tasks:
            if task.alive and task.stop_sent_at is not None and now - task.stop_sent_at > self.ramp.stop_timeout:
                task.kill()

    def step(self) -> None:
        document = self.read()
        if document is not None:
            self.decide(document)
        self.reconcile()


def produce(run: Run, stop: threading.Event) -> None:
    """Offer the load ramp, in bulk sends every 100 ms."""
    import scalejobs
    from bench.jobs.autoscale import simulated_work

    ramp, rng, owed, last = run.ramp, random.Random(17), 0.0, time.time()
    end = run.load_started + sum(seconds for seconds, _, _ in ramp.phases)
    while not stop.is_set() and time.time() < end:
        now = time.time()
        # Owed by the time elapsed, so a slow send is made up on the next tick.
        owed += run.rate_at(now) * (now - last)
        last = now
        count, owed = int(owed), owed - int(owed)
        args = []
        for _ in range(count):
            long = rng.random() < ramp.long_share
            seconds = rng.uniform(*(ramp.long_seconds if long else ramp.short_seconds))
            args.append((run.enqueued, round(seconds, 3), now))
            run.enqueued += 1
        if args:
            scalejobs.perform_bulk(simulated_work, args, on_commit=False)
        stop.wait(max(0.0, 0.1 - (time.time() - now)))
    run.load_ended = time.time()


def sample(run: Run, controller: Controller) -> None:
    """Record the state of the queue and the fleet now, and which tasks have workers beating."""
    from scalejobs.dashboard import engine
    from scalejobs.metrics import snapshot

    reading = snapshot()
    arns = {worker.ecs_task_arn for worker in engine().workers.workers()}
    for task in run.tasks:
        if task.ready_at is None and task.arn in arns:
            task.ready_at = time.time()
    [queue] = [queue for queue in reading.queues if queue.queue == "autoscale"] or [None]
    run.samples.append(
        {
            "t": time.time(),
            "offered": run.rate_at(time.time()) if run.load_ended == 0 else 0.0,
            "backlog": queue.backlog if queue else 0,
            "latency": queue.latency if queue else 0.0,
            "serving": len(controller.serving()),
            "running": sum(task.alive for task in run.tasks),
            "desired": controller.desired,
            "protected": sum(task.alive and task.agent.protected for task in run.tasks),
        }
    )


def simulate(ramp: Ramp, client: Any, log_dir: Path, env: dict[str, str] | None = None) -> Run:
    """Run one ramp against the Redis behind ``client``; every task is stopped on return."""
    from bench.jobs.autoscale import DONE, STARTS, WAITS

    for key in (STARTS, WAITS, DONE):
        client.delete(key)
    run = Run(ramp=ramp, started=time.time())
    controller = Controller(run, log_dir, env or {})
    stop = threading.Event()
    try:
        controller.reconcile()
        deadline = time.time() + 120
        while not all(task.ready_at for task in run.tasks):
            if time.time() > deadline:
                raise TimeoutError("the first task never started")
            sample(run, controller)
            time.sleep(0.5)
        run.load_started = time.time()
        producer = threading.Thread(target=produce, args=(run, stop), name="producer", daemon=True)
        producer.start()
        settle_until = None
        while True:
            controller.step()
            sample(run, controller)
            if run.load_ended and settle_until is None:
                settle_until = time.time() + ramp.settle_seconds
            if settle_until is not None:
                drained = client.scard(DONE) >= run.enqueued
                if drained and len([task for task in run.tasks if task.alive]) == ramp.min_tasks:
                    run.settled = True
                    break
                if time.time() > settle_until:
                    break
            time.sleep(1.0)
    finally:
        stop.set()
        for task in run.tasks:
            if task.alive and task.stop_sent_at is None:
                task.terminate()
        for task in run.tasks:
            try:
                task.process.wait(ramp.stop_timeout)
            except subprocess.TimeoutExpired:
                task.kill()
            task.close()
    starts = {int(key): int(value) for key, value in client.hgetall(STARTS).items()}
    done = {int(member) for member in client.smembers(DONE)}
    run.cut_short = sum(count - (job_id in done) for job_id, count in starts.items())
    run.lost = run.enqueued - len(done)
    run.waits = [tuple(map(float, entry.split())) for entry in (raw.decode() for raw in client.lrange(WAITS, 0, -1))]  # type: ignore[misc]
    return run


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figures(run: Run) -> dict[str, Any]:
    """Return the report's figures."""
    ramp = run.ramp
    ramp_end = run.load_ended or run.load_started
    waits = [wait for started, wait in run.waits if run.load_started <= started <= ramp_end]
    idle = 0.0
    for seconds, start, end in ramp.phases:
        if start or end:
            break
        idle += seconds
    signal_at = next((at for at, metric in run.readings if metric > ramp.target and at >= run.load_started), None)
    added = [task for task in run.tasks[ramp.min_tasks :] if signal_at is not None and task.started_at >= signal_at - 1]
    first = min(added, key=lambda task: task.started_at) if added else None
    return {
        "jobs": run.enqueued,
        "peak_tasks": max((sample["running"] for sample in run.samples), default=0),
        "final_tasks": run.samples[-1]["running"] if run.samples else 0,
        "tasks_started": len(run.tasks),
        "tasks_stopped_by_scale_in": sum(task.stop_sent_at is not None and task.stop_sent_at < (run.samples[-1]["t"] if run.samples else 0) for task in run.tasks),
        "tasks_sigkilled": sum(task.killed for task in run.tasks),
        "wait_p50": percentile(waits, 0.50),
        "wait_p99": percentile(waits, 0.99),
        "signal_after_load_start": None if signal_at is None else signal_at - run.load_started - idle,
        "decision_after_signal": None if first is None or signal_at is None else first.started_at - signal_at,
        "reaction": None if first is None or first.ready_at is None or signal_at is None else first.ready_at - signal_at,
        "cut_short": run.cut_short,
        "lost": run.lost,
        "settled": run.settled,
    }


def draw(run: Run, path: Path) -> None:
    """Plot load, backlog, tasks and latency on one time axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = run.load_started
    times = [sample["t"] - t0 for sample in run.samples]
    figure, axes = plt.subplots(4, 1, sharex=True, figsize=(10, 10))
    done_rate: list[float] = []
    bins: dict[int, list[float]] = {}
    for started, wait in run.waits:
        bins.setdefault(int((started - t0) // 5), []).append(wait)
        done_rate.append(started - t0)
    axes[0].plot(times, [sample["offered"] for sample in run.samples], label="offered (jobs/s)")
    starts_per_second: dict[int, int] = {}
    for moment in done_rate:
        starts_per_second[int(moment)] = starts_per_second.get(int(moment), 0) + 1
    seconds = sorted(starts_per_second)
    axes[0].plot(seconds, [starts_per_second[second] for second in seconds], label="started (jobs/s)", alpha=0.6)
    axes[0].set_ylabel("load")
    axes[0].legend(loc="upper right")
    axes[1].plot(times, [sample["backlog"] for sample in run.samples], label="QueueBacklog")
    readings = [(at - t0, metric) for at, metric in run.readings]
    axes[1].plot([at for at, _ in readings], [metric for _, metric in readings], "o", label="BacklogPerTask (published)")
    axes[1].axhline(run.ramp.target, linestyle="--", color="grey", label="target")
    axes[1].set_ylabel("messages")
    axes[1].legend(loc="upper right")
    axes[2].step(times, [sample["running"] for sample in run.samples], where="post", label="tasks running")
    axes[2].step(times, [sample["desired"] for sample in run.samples], where="post", label="desired", linestyle="--")
    axes[2].step(times, [sample["protected"] for sample in run.samples], where="post", label="protected", alpha=0.6)
    axes[2].set_ylabel("tasks")
    axes[2].legend(loc="upper right")
    axes[3].plot(times, [sample["latency"] for sample in run.samples], label="QueueLatency (oldest ready)")
    keys = sorted(bins)
    axes[3].plot([key * 5 + 2.5 for key in keys], [percentile(bins[key], 0.5) for key in keys], label="job wait p50 (5 s)")
    axes[3].plot([key * 5 + 2.5 for key in keys], [percentile(bins[key], 0.99) for key in keys], label="job wait p99 (5 s)")
    axes[3].set_ylabel("seconds")
    axes[3].set_xlabel("seconds since the load started")
    axes[3].legend(loc="upper right")
    figure.suptitle(f"scalejobs autoscaling simulation ({run.ramp.name})")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def report(run: Run, found: dict[str, Any], png: str) -> str:
    """Return the Markdown report of ``run``, with the chart ``png`` (a path relative to the report)."""
    ramp = run.ramp

    def seconds(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f} s"

    phases = ", ".join(f"{int(s)} s {a:g}->{b:g}/s" for s, a, b in ramp.phases)
    timeline = ", ".join(f"{at - run.load_started:+.0f} s: {count}" for at, count in run.decisions)
    every_ten = {}
    for sample_row in run.samples:
        every_ten.setdefault(int((sample_row["t"] - run.load_started) // 10) * 10, sample_row["running"])
    tasks_over_time = ", ".join(f"{second:+d} s: {count}" for second, count in sorted(every_ten.items()))
    return f"""# Autoscaling simulation ({ramp.name})

`python -m bench autoscale{" --quick" if ramp.name == "quick" else ""}` on this machine: one Redis, tasks of
1 worker process x {ramp.threads} threads, each with its own fake ECS agent; a controller that
reads the leader's EMF lines and tracks `BacklogPerTask` = {ramp.target:g}
({ramp.min_tasks}-{ramp.max_tasks} tasks; scale in after {ramp.scale_in_readings} reading(s) below
90 % of the target and a {ramp.scale_in_cooldown:g} s cooldown; stopTimeout {ramp.stop_timeout:g} s).
Load: {phases}; jobs of {ramp.short_seconds[0]:g}-{ramp.short_seconds[1]:g} s, and
{ramp.long_share:.1%} of {ramp.long_seconds[0]:g}-{ramp.long_seconds[1]:g} s.

| figure | value |
| --- | --- |
| jobs offered | {found["jobs"]} |
| tasks: peak / at the end | {found["peak_tasks"]} / {found["final_tasks"]} |
| tasks started / stopped by scale-in / SIGKILLed | {found["tasks_started"]} / {found["tasks_stopped_by_scale_in"]} / {found["tasks_sigkilled"]} |
| job wait before start during the ramp, p50 / p99 | {found["wait_p50"]:.2f} s / {found["wait_p99"]:.2f} s |
| first job offered -> first published reading above target | {seconds(found["signal_after_load_start"])} |
| that reading -> controller starts a task | {seconds(found["decision_after_signal"])} |
| scale-out reaction (that reading -> new task's worker beating) | {seconds(found["reaction"])} |
| jobs cut short (started, never finished) | {found["cut_short"]} |
| jobs lost (never done) | {found["lost"]} |
| scaled back to the minimum with every job done | {"yes" if found["settled"] else "no"} |

Desired count changes (time since the load started: tasks): {timeline or "none"}.

Tasks running, every 10 s: {tasks_over_time}.

![load, backlog, tasks and latency]({png})

The reaction time here has no launch delay: a Fargate task takes 30-90 s more to pull and start,
and CloudWatch adds up to a minute before an alarm sees a reading.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Take no options but the runner's: ``--quick`` picks the ramp."""


def run(bench: Bench) -> str:
    ramp = QUICK_RAMP if bench.options.quick else FULL_RAMP
    bench.client.flushdb()
    with tempfile.TemporaryDirectory() as log_dir:
        simulation = simulate(ramp, bench.client, Path(log_dir))
    found = figures(simulation)
    chart = bench.report.with_suffix(".png")
    chart.parent.mkdir(parents=True, exist_ok=True)
    draw(simulation, chart)
    print(json.dumps(found, indent=2))
    return report(simulation, found, chart.name)
