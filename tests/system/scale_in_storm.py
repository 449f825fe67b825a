"""The scale-in storm: ECS service auto scaling stops unprotected tasks while jobs arrive.

``python -m tests.system.scale_in_storm`` starts its own Valkey and four ECS
tasks, each a fake ECS agent (its own task ARN) and one ``rundramatiq``
process with two threads. It sends 40 jobs of 1 to 20 s over a minute, each
with a time limit one second over its length (so ``protect="auto"`` leaves
the ones that fit the drain budget unprotected). Every second it plays ECS:
it picks a random task whose agent holds no protection, makes the agent
refuse protection from then on (HTTP 200 with a ``failure``, as ECS answers
for a task it is stopping), SIGTERMs the task's worker, SIGKILLs its process
group after ``stopTimeout`` and starts a replacement task.

The drain budget is set as the README says (below ``stopTimeout``). It
reports the jobs cut short (started and never finished on that task: the
target is 0), the jobs completed more or less than once, the hand-backs,
and ECS agent calls per busy period; ``--naive`` runs the seed's design
(``naive_protection``: one call per job, no hand-back) through the same
simulator for comparison. ``--json`` prints the figures as JSON,
``--report PATH`` writes them to a Markdown file. The module is longer than
most so the whole scenario reads top to bottom.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

# How often the simulator looks at the clock, the tasks and the jobs, in seconds.
TICK = 0.1
PROTECTION = {
    "TICK_SECONDS": 0.5,
    "PROCESS_TIMEOUT_SECONDS": 3.0,
    "IDLE_GRACE_SECONDS": 2.0,
    "CONNECT_TIMEOUT_SECONDS": 0.5,
    "READ_TIMEOUT_SECONDS": 1.0,
    "BACKOFF_SECONDS": 0.5,
    "MAX_BACKOFF_SECONDS": 2.0,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Storm:
    """What the simulator does; times in seconds."""

    tasks: int = 4
    threads: int = 2
    jobs: int = 40
    arrival_seconds: float = 60.0
    job_seconds: tuple[float, float] = (1.0, 20.0)
    scale_in_every: float = 1.0
    stop_timeout: float = 6.0
    # The README's rule: the drain budget below stopTimeout, with room for the exit.
    budget: float = 4.0
    heartbeat_ms: int = 9000
    recovery_interval: float = 2.0
    # After the last job is sent, how long the jobs may take to complete.
    settle_seconds: float = 75.0
    naive: bool = False
    seed: int = 13


class Task:
    """One ECS task: its fake agent and its worker process."""

    def __init__(self, number: int, storm: Storm, workdir: Path) -> None:
        from scalejobs.testing.ecs_agent import FakeAgent
        from tests.conftest import WorkerProcess

        self.name = f"task-{number}"
        self.agent = FakeAgent(task_arn=f"arn:aws:ecs:us-east-1:123456789012:task/storm/{self.name}", endpoint_id=self.name).start()
        env = {
            **self.agent.environ(),
            "DJANGO_SETTINGS_MODULE": "tests.system.protection_settings",
            "SCALEJOBS_TEST_PROTECTION": json.dumps({**PROTECTION, "SHUTDOWN_BUDGET_SECONDS": storm.budget}),
        }
        if storm.naive:
            env["SCALEJOBS_TEST_NAIVE_PROTECTION"] = "1"
        args = ("--processes", "1", "--threads", str(storm.threads), "--queues", "protection-storm")
        self.worker = WorkerProcess(*args, env=env, log=workdir / f"{self.name}.log")
        self.stopping_at: float | None = None
        self.killed = False
        self.exited = False

    def scale_in(self, now: float) -> None:
        """Do what ECS does to a task it stops: refuse protection from now on, then SIGTERM."""
        from scalejobs.testing.ecs_agent import Reply

        self.agent.respond_always(Reply.stopping())
        self.stopping_at = now
        self.worker.signal(signal.SIGTERM)

    def watch(self, now: float, stop_timeout: float) -> None:
        """SIGKILL the task once it outstays ``stop_timeout`` after SIGTERM."""
        if self.stopping_at is None or self.exited:
            return
        if self.worker.process.poll() is not None:
            self.exited = True
        elif now - self.stopping_at > stop_timeout:
            self.worker.signal(signal.SIGKILL)
            self.worker.process.wait(10)
            self.killed = self.exited = True

    def close(self) -> None:
        self.worker.kill()
        self.agent.stop()


def run(storm: Storm, workdir: Path) -> dict[str, Any]:
    """Run the storm; return its figures."""
    from scalejobs.store import redis_client
    from tests.testapp.protection_tasks import STORM, storm_job

    client = redis_client()
    client.flushdb()
    chooser = random.Random(storm.seed)
    arrivals = sorted(
        (round(chooser.uniform(0, storm.arrival_seconds), 2), round(chooser.uniform(*storm.job_seconds), 1)) for _ in range(storm.jobs)
    )
    tasks = [Task(number, storm, workdir) for number in range(storm.tasks)]
    deadline = time.monotonic() + 60
    while not all("ready for action" in task.worker.output() for task in tasks):
        if time.monotonic() > deadline:
            raise RuntimeError("the first tasks did not boot within 60 s")
        time.sleep(TICK)

    began = time.monotonic()
    next_scale_in = began + storm.scale_in_every
    sent = 0
    scale_ins = 0
    end = began + storm.arrival_seconds + storm.settle_seconds
    while time.monotonic() < end:
        now = time.monotonic()
        while sent < len(arrivals) and arrivals[sent][0] <= now - began:
            seconds = arrivals[sent][1]
            storm_job.send_with_options(args=(f"job-{sent}", seconds), time_limit=int((seconds + 1) * 1000))
            sent += 1
        for task in tasks:
            task.watch(now, storm.stop_timeout)
        if now >= next_scale_in:
            next_scale_in += storm.scale_in_every
            candidates = [task for task in tasks if task.stopping_at is None and not task.agent.protected]
            if candidates:
                chooser.choice(candidates).scale_in(time.time())
                scale_ins += 1
                tasks.append(Task(len(tasks), storm, workdir))
        if sent == len(arrivals) and len(ended(client, STORM)) >= storm.jobs:
            break
        time.sleep(TICK)
    seconds = time.monotonic() - began
    records = [raw.decode().split("|") for raw in client.lrange(STORM, 0, -1)]
    puts = [call for task in tasks for call in task.agent.puts()]
    protected = {f"job-{number}" for number, (_, length) in enumerate(arrivals) if storm.naive or length + 1 > storm.budget}
    handed_back = sum(task.worker.output().count("Handed storm_job") for task in tasks)
    handed_back_by_drain = sum(task.worker.output().count("handed back") for task in tasks)
    for task in tasks:
        task.close()
    return {
        "design": "naive (one call per job, no hand-back)" if storm.naive else "scalejobs",
        "storm": asdict(storm),
        "seconds": round(seconds, 1),
        "scale-ins": scale_ins,
        "tasks SIGKILLed after stopTimeout": sum(task.killed for task in tasks),
        "hand-backs (refused or stopping)": handed_back,
        "drain hand-backs (budget spent)": handed_back_by_drain,
        **judge(records, storm),
        "agent calls": len(puts),
        "agent calls refused (task stopping)": sum(isinstance(call.response, dict) and "failure" in call.response for call in puts),
        "busy periods": (periods := busy_periods(records, protected, PROTECTION["IDLE_GRACE_SECONDS"])),
        "agent calls per busy period": round(len(puts) / max(1, periods), 1),
        "accepted agent calls per busy period": round(sum(call.status == 200 and "protection" in call.response for call in puts) / max(1, periods), 1),
    }


def ended(client: Any, key: str) -> set[str]:
    return {raw.decode().split("|")[1] for raw in client.lrange(key, 0, -1) if raw.startswith(b"end|")}


def judge(records: list[list[str]], storm: Storm) -> dict[str, Any]:
    """Count jobs cut short (a start with no end in the same process) and completions per job."""
    ends = Counter((token, pid) for kind, token, _, pid, _ in records if kind == "end")
    cut = [token for kind, token, _, pid, _ in records if kind == "start" and not ends[(token, pid)]]
    completions = Counter(token for kind, token, *_ in records if kind == "end")
    starts = Counter(token for kind, token, *_ in records if kind == "start")
    tokens = [f"job-{number}" for number in range(storm.jobs)]
    return {
        "jobs cut short": len(cut),
        "jobs completed exactly once": sum(completions[token] == 1 for token in tokens),
        "jobs completed twice or more": sum(completions[token] > 1 for token in tokens),
        "jobs never completed": sum(completions[token] == 0 for token in tokens),
        "jobs started more than once": sum(starts[token] > 1 for token in tokens),
    }


def busy_periods(records: list[list[str]], protected: set[str], grace: float) -> int:
    """Count each task's periods with a protected job running (merged across the idle grace)."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    started: dict[tuple[str, str], float] = {}
    for kind, token, task, pid, at in records:
        if token not in protected:
            continue
        if kind == "start":
            started[(token, pid)] = float(at)
        elif (token, pid) in started:
            spans[task].append((started[(token, pid)], float(at)))
    count = 0
    for intervals in spans.values():
        last_end = None
        for begin, finish in sorted(intervals):
            if last_end is None or begin > last_end + grace:
                count += 1
            last_end = finish if last_end is None else max(last_end, finish)
    return count


def markdown(results: list[dict[str, Any]]) -> str:
    """Format runs side by side as a Markdown table."""
    keys = [key for key in results[0] if key not in ("storm", "design")]
    lines = ["## Scale-in storm", "", "| | " + " | ".join(result["design"] for result in results) + " |", "|---|" + "---|" * len(results)]
    lines += [f"| {key} | " + " | ".join(str(result[key]) for result in results) + " |" for key in keys]
    storm = results[0]["storm"]
    lines += [
        "",
        f"{storm['tasks']} tasks x {storm['threads']} threads, {storm['jobs']} jobs of {storm['job_seconds'][0]:.0f}-"
        f"{storm['job_seconds'][1]:.0f} s over {storm['arrival_seconds']:.0f} s, a scale-in every {storm['scale_in_every']} s, "
        f"stopTimeout {storm['stop_timeout']} s, SHUTDOWN_BUDGET_SECONDS {storm['budget']} s. "
        "Command: `python -m tests.system.scale_in_storm --naive --report <file>`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive", action="store_true", help="also run the seed's naive design through the same storm")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--report", type=Path, help="write the figures as Markdown to this file")
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.pop("SCALEJOBS_TEST_REDIS_URL", None)
    from tests.redis_server import provide_test_environment

    provide_test_environment()
    storm = Storm()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.system.protection_settings",
            "SCALEJOBS_TEST_HEARTBEAT_MS": str(storm.heartbeat_ms),
            "SCALEJOBS_TEST_OVERRIDES": json.dumps({"RELIABILITY": {"RECOVERY_INTERVAL_SECONDS": storm.recovery_interval}}),
        }
    )
    import django

    django.setup()
    results = []
    with tempfile.TemporaryDirectory(prefix="scalejobs-storm-") as temporary:
        workdir = args.logs or Path(temporary)
        (workdir / "naive").mkdir(parents=True, exist_ok=True)
        results.append(run(storm, workdir))
        if args.naive:
            results.append(run(replace(storm, naive=True), workdir / "naive"))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(markdown(results))
    if args.report:
        args.report.write_text(markdown(results))
    failed = results[0]["jobs cut short"] or results[0]["jobs completed exactly once"] != storm.jobs
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
