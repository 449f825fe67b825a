"""The chaos suite: thousands of jobs through two real workers while workers, Redis and the ECS agent fail.

``python -m tests.system.chaos`` (``make chaos``) runs the full suite with the
production recovery settings; ``--short`` runs the variant inside ``make
test``. It starts its own Valkey with append-only persistence, the fake ECS
agent and two ``rundramatiq`` processes, enqueues the jobs of
``tests/testapp/reliability_tasks.py`` (plain, unique, throttled, delayed),
and then, on a schedule:

- SIGKILLs worker A's whole process group every few seconds and starts it again;
- SIGTERMs worker B's master (as ``docker stop`` does) now and then, and starts
  it again once it has drained and exited;
- restarts Redis once (stop, start on the same socket and append-only file),
  trying an enqueue while it is down;
- answers every ECS agent call with an error for a while.

Then it checks that every job ran at least once, that every duplicate
completion follows a kill of the worker that ran it, that no message is left
in an ack set, a queue or a delay queue, and that no unique lock, concurrency
slot or ECS protection stays held. It prints a JSON report with the figures,
and writes Markdown with ``--report``. The module is longer than most so the
whole scenario reads top to bottom.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

# Slack added to every deadline of the settle phase, in seconds.
SETTLE_SLACK = 60.0
# How often the schedule looks at the clock and the workers, in seconds.
TICK = 0.2
# Seconds before a duplicate's first start within which a recovery of its delay queue explains it: the
# whole run, since both copies may wait behind the backlog for minutes. Recoveries are counted per queue,
# not per id, so this names a likely cause rather than proving it.
DELAY_MOVE_WINDOW = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What the suite does and how hard; times in seconds unless named otherwise."""

    jobs: int = 5000
    job_seconds: tuple[float, float] = (0.05, 0.35)
    threads: int = 8
    broker: str = "dispatch"
    heartbeat_ms: int = 60_000
    recovery_interval: float = 15.0
    # None keeps the defaults of SCALEJOBS['RELIABILITY'] (SILENCE_SECONDS, PULSE_SECONDS) and ['LEADER'].
    silence: float | None = None
    pulse: float | None = None
    leader: tuple[float, float, float] | None = None
    chaos_seconds: float = 150.0
    kill_every: float = 4.0
    term_every: float = 20.0
    # When Redis restarts and the agent fails, as shares of chaos_seconds.
    redis_restart_at: float = 0.4
    redis_down_seconds: float = 3.0
    # Until this share of chaos_seconds the ECS agent fails every call; it starts failing before the
    # jobs are sent, so the first protection call fails and jobs must run unprotected meanwhile.
    agent_outage_until: float = 0.3
    seed: int = 9


SHORT = Plan(
    jobs=600,
    job_seconds=(0.1, 0.5),
    heartbeat_ms=4000,
    recovery_interval=1.0,
    silence=3.0,
    pulse=0.5,
    leader=(6.0, 2.0, 2.0),
    chaos_seconds=20.0,
    kill_every=3.0,
    term_every=8.0,
    redis_down_seconds=2.0,
)


@dataclass(slots=True)
class Timeline:
    """What the suite did, and when (epoch seconds)."""

    kills: list[tuple[str, int, float]] = field(default_factory=list)
    redis_down: tuple[float, float] | None = None
    agent_down: tuple[float, float] | None = None
    outage_enqueue: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    chaos_ended: float = 0.0
    settled: float = 0.0


class Chaos:
    """One run of the suite: its Redis, agent, workers and producer."""

    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self.timeline = Timeline()
        self.random = random.Random(plan.seed)
        self.incarnations = Counter[str]()
        self.sent: list[str] = []
        self.redis: Any = None
        self.agent: Any = None
        self.workers: dict[str, Any] = {}

    # -- set-up ----------------------------------------------------------------------------------

    def start_services(self) -> None:
        """Start Valkey (append-only) and the fake agent, then set Django up against them."""
        from scalejobs.testing.embedded_redis import start_embedded_redis

        self.redis = start_embedded_redis(appendonly=True)
        reliability: dict[str, Any] = {"RECOVERY_INTERVAL_SECONDS": self.plan.recovery_interval, "HISTORY": 100_000}
        if self.plan.silence is not None and self.plan.pulse is not None:
            reliability.update(SILENCE_SECONDS=self.plan.silence, PULSE_SECONDS=self.plan.pulse)
        overrides: dict[str, Any] = {
            "RELIABILITY": reliability,
            "PROTECTION": {
                "TICK_SECONDS": 0.5,
                "PROCESS_TIMEOUT_SECONDS": 3.0,
                "IDLE_GRACE_SECONDS": 2.0,
                "SHUTDOWN_BUDGET_SECONDS": 2.0,
                "CONNECT_TIMEOUT_SECONDS": 0.5,
                "READ_TIMEOUT_SECONDS": 1.0,
                "BACKOFF_SECONDS": 0.5,
                "MAX_BACKOFF_SECONDS": 2.0,
            },
        }
        if self.plan.leader is not None:
            lease, renew, check = self.plan.leader
            overrides["LEADER"] = {"LEASE_SECONDS": lease, "RENEW_SECONDS": renew, "CHECK_SECONDS": check}
        os.environ.update(
            {
                "SCALEJOBS_TEST_REDIS_URL": self.redis.url,
                "REDIS_URL": self.redis.url,
                "DJANGO_SETTINGS_MODULE": "tests.system.reliability_settings",
                "SCALEJOBS_TEST_BROKER": self.plan.broker,
                "SCALEJOBS_TEST_HEARTBEAT_MS": str(self.plan.heartbeat_ms),
                "SCALEJOBS_TEST_OVERRIDES": json.dumps(overrides),
            }
        )
        import django

        django.setup()
        from scalejobs.testing.ecs_agent import FakeAgent

        self.agent = FakeAgent().start()

    def start_worker(self, name: str) -> None:
        from tests.conftest import WorkerProcess

        self.incarnations[name] += 1
        log = self.workdir / f"worker-{name}-{self.incarnations[name]}.log"
        env = {**self.agent.environ(), "DJANGO_SETTINGS_MODULE": "tests.system.reliability_settings"}
        self.workers[name] = WorkerProcess("--processes", "1", "--threads", str(self.plan.threads), env=env, log=log)

    def enqueue(self) -> None:
        """Send the jobs: one in ten delayed past the Redis restart, one in five unique, one in seven throttled."""
        from tests.testapp.reliability_tasks import chaos_plain, chaos_throttled, chaos_unique

        low, high = self.plan.job_seconds
        # Workers hold delayed jobs in memory: some are held when Redis restarts.
        longest_delay = self.plan.chaos_seconds * self.plan.redis_restart_at + 10
        for number in range(self.plan.jobs):
            seconds = round(self.random.uniform(low, high), 3)
            if number % 10 == 0:
                message = chaos_plain.perform_in(self.random.uniform(0.5, longest_delay), number, seconds)
            elif number % 5 == 1:
                message = chaos_unique.perform_later(number, seconds)
            elif number % 7 == 2:
                message = chaos_throttled.perform_later(number, seconds)
            else:
                message = chaos_plain.perform_later(number, seconds)
            self.sent.append(message.message_id)

    # -- the schedule ----------------------------------------------------------------------------

    def run_schedule(self) -> None:
        """Kill, terminate, restart and break things until the chaos window ends or every job ran."""
        plan = self.plan
        start = self.timeline.started = time.time()
        next_kill, next_term = start + plan.kill_every, start + plan.term_every / 2
        redis_at = start + plan.chaos_seconds * plan.redis_restart_at
        agent_until = start + plan.chaos_seconds * plan.agent_outage_until
        terminating = False
        while time.time() < start + plan.chaos_seconds and self.ran() < plan.jobs:
            now = time.time()
            if now >= next_kill:
                self.kill("A")
                next_kill += plan.kill_every
            if now >= next_term and not terminating:
                self.timeline.kills.append(("TERM", self.workers["B"].pid, time.time()))
                self.workers["B"].signal(signal.SIGTERM)
                terminating, next_term = True, next_term + plan.term_every
            if terminating and self.workers["B"].process.poll() is not None:
                self.workers["B"].stop()
                self.start_worker("B")
                terminating = False
            if self.timeline.redis_down is None and now >= redis_at:
                self.restart_redis()
            if self.agent_failing and now >= agent_until:
                self.agent_recovers()
            time.sleep(TICK)
        if self.agent_failing:
            self.agent_recovers()
        if terminating:
            self.workers["B"].stop(timeout=60)
            self.start_worker("B")
        self.timeline.chaos_ended = time.time()

    @property
    def agent_failing(self) -> bool:
        return self.timeline.agent_down is not None and self.timeline.agent_down[1] == 0.0

    def agent_fails(self) -> None:
        """Answer every ECS agent call with a server error until ``agent_recovers``."""
        from scalejobs.testing.ecs_agent import Reply

        self.agent.respond_always(Reply.server_error())
        self.timeline.agent_down = (time.time(), 0.0)

    def agent_recovers(self) -> None:
        self.agent.respond_always(None)
        assert self.timeline.agent_down is not None
        self.timeline.agent_down = (self.timeline.agent_down[0], time.time())

    def kill(self, name: str) -> None:
        worker = self.workers[name]
        self.timeline.kills.append(("KILL", worker.pid, time.time()))
        worker.signal(signal.SIGKILL)
        worker.stop()
        self.start_worker(name)

    def restart_redis(self) -> None:
        """Stop Redis, try an enqueue while it is down, start it again on the same append-only file."""
        import scalejobs
        from tests.testapp.reliability_tasks import chaos_plain

        down = time.time()
        self.redis.stop()
        tried = time.monotonic()
        try:
            chaos_plain.perform_later(-1, 0.0)
            self.timeline.outage_enqueue = {"raised": None}
        except scalejobs.BrokerUnavailable as error:
            self.timeline.outage_enqueue = {"raised": type(error).__name__, "message": str(error)}
        self.timeline.outage_enqueue["seconds"] = round(time.monotonic() - tried, 3)
        time.sleep(max(0.0, self.plan.redis_down_seconds - (time.time() - down)))
        self.redis.start()
        self.timeline.redis_down = (down, time.time())

    # -- the settle phase and the checks ---------------------------------------------------------

    def ran(self) -> int:
        import redis

        from scalejobs.store import redis_client
        from tests.testapp.reliability_tasks import RAN

        try:
            return int(redis_client().scard(RAN))
        except redis.RedisError:
            return -1

    def settle(self) -> dict[str, Any]:
        """Wait for every job, an empty broker, and released locks, slots and protection; say what is left."""
        from scalejobs.store import redis_client
        from scalejobs.unique import unique_jobs
        from tests.conftest import wait_for
        from tests.testapp.reliability_tasks import UNIQUE_FOR

        client = redis_client()
        recovery_bound = self.plan.heartbeat_ms / 1000 + 2 * self.plan.recovery_interval + SETTLE_SLACK
        left: dict[str, Any] = {}
        checks = {
            "every job ran": (lambda: self.ran() >= self.plan.jobs, recovery_bound + 120),
            "broker empty": (lambda: not leftovers(client), recovery_bound),
            "no unique lock": (lambda: not unique_jobs().locks(1), UNIQUE_FOR + 10),
            "no concurrency slot": (lambda: not busy_slots(), 30),
            "no ECS protection": (lambda: not self.agent.protected, 30),
        }
        waited = left["settle seconds"] = {}
        for name, (predicate, timeout) in checks.items():
            began = time.monotonic()
            try:
                wait_for(predicate, timeout=timeout, interval=0.25)
            except AssertionError:
                left[name] = False
            waited[name] = round(time.monotonic() - began, 1)
            if name == "broker empty":
                # Every job is done: a lock still held now outlived its job, until its TTL.
                left["unique locks outliving their job"] = [f"{lock.label} held by {lock.owner}" for lock in unique_jobs().locks(100)]
        left["leftovers"] = leftovers(client)
        left["unique locks"] = [lock.label for lock in unique_jobs().locks(100)]
        left["busy slots"] = busy_slots()
        left["dead letters"] = {key: client.zcard(key) for key in map(text, client.scan_iter(match="dramatiq:*.XQ")) if client.zcard(key)}
        self.timeline.settled = time.time()
        return left

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop(timeout=60)
        if self.agent is not None:
            self.agent.stop()
        if self.redis is not None:
            self.redis.close()


def leftovers(client: Any) -> dict[str, int]:
    """Return every ack set and queue (ready or delayed) still holding messages, with its size."""
    found = {}
    for key in map(text, client.scan_iter(match="dramatiq:__acks__.*")):
        found[key] = int(client.scard(key))
    for key in map(text, client.scan_iter(match="dramatiq:*.msgs")):
        if not key.endswith(".XQ.msgs") and client.hlen(key):
            found[key] = int(client.hlen(key))
    return {key: size for key, size in found.items() if size}


def lapsed_unique_locks(client: Any) -> int:
    """Count the unique index entries whose lock expired at its TTL instead of being released."""
    from scalejobs.store import keyspace

    keys = keyspace("unique")
    digests = [text(member) for member in client.zrange(keys("locks"), 0, -1)]
    return sum(1 for digest in digests if not client.exists(keys("lock", digest)))


def busy_slots() -> dict[str, float]:
    from scalejobs.throttle import throttles

    return {usage.ident: usage.in_use for usage in throttles().usage() if usage.kind == "concurrency" and usage.in_use}


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# -- the report ----------------------------------------------------------------------------------


def report(chaos: Chaos, left: dict[str, Any]) -> dict[str, Any]:
    """Compute the figures from what the jobs, the recovery and the timeline recorded."""
    from scalejobs.reliability import delivery_ledger, orphan_recovery
    from scalejobs.store import redis_client
    from tests.testapp.reliability_tasks import RAN, RUNS, STARTS

    client = redis_client()
    timeline = chaos.timeline
    starts = []
    queue_of = {}
    for raw in client.lrange(STARTS, 0, -1):
        message_id, pid, master, at, broker_id, queue = text(raw).split("|")
        starts.append((message_id, int(pid), int(master), float(at), broker_id))
        queue_of[message_id] = queue
    ran = {text(member) for member in client.smembers(RAN)}
    runs = {text(key): int(value) for key, value in client.hgetall(RUNS).items()}
    killed = {pid: at for kind, pid, at in timeline.kills}
    sigkills = [(pid, at) for kind, pid, at in timeline.kills if kind == "KILL"]

    by_message: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for message_id, _, master, at, _ in sorted(starts, key=lambda start: start[3]):
        by_message[message_id].append((master, at))
    recovery = orphan_recovery()
    recoveries = [recovered for recovered in recovery.recent(100_000) if recovered.kind == "dead worker"]

    def why(message_id: str, master: int, at: float, until: float) -> str | None:
        """Say which kill explains that the start at ``at`` was not the last, or None."""
        if killed.get(master, 0) >= at:
            return "after a kill of its worker"
        # Dramatiq moves a due delayed job by enqueueing a copy, then acking the original: a worker
        # killed between the two leaves the original to be recovered and run again (dramatiq#431).
        # Recovered ids go to the head of their queue, so either copy may start first, the other
        # within the wait behind the backlog.
        delayed = f"{queue_of.get(message_id)}.DQ"
        if any(at - DELAY_MOVE_WINDOW <= recovered.at <= until and recovered.queues.get(delayed) for recovered in recoveries):
            return "after a kill of the worker moving it out of its delay queue"
        return None
    def story(message_id: str) -> dict[str, Any]:
        first, last = by_message[message_id][0][1], by_message[message_id][-1][1]
        return {
            "message": message_id,
            "queue": queue_of.get(message_id),
            "recoveries around": [
                {"at": round(recovered.at - timeline.started, 3), "worker": recovered.worker, "queues": dict(recovered.queues)}
                for recovered in recoveries
                if first - DELAY_MOVE_WINDOW <= recovered.at <= last
            ],
            "runs": runs.get(message_id, 0),
            "starts": [{"worker": master, "at": round(at - timeline.started, 3)} for master, at in by_message[message_id]],
            "kills": [(kind, pid, round(at - timeline.started, 3)) for kind, pid, at in timeline.kills if pid in {m for m, _ in by_message[message_id]}],
        }

    unexplained_duplicates = []
    for message_id, count in runs.items():
        attempts = by_message[message_id]
        explained = [start for start, later in zip(attempts, attempts[1:]) if why(message_id, start[0], start[1], later[1])]
        if count > 1 and len(explained) < count - 1:
            unexplained_duplicates.append(story(message_id))
    restarts = Counter[str]()
    unexplained_restarts = []
    down = timeline.redis_down or (0.0, 0.0)
    for message_id, attempts in by_message.items():
        for (master, at), later in zip(attempts, attempts[1:]):
            reason = why(message_id, master, at, later[1])
            if reason is None and down[0] - 5 <= at <= down[1] + 5:
                reason = "failed during the Redis restart, retried"
            restarts[reason or "other"] += 1
            if reason is None:
                unexplained_restarts.append(story(message_id))

    recovered_at = defaultdict(list)
    for recovered in recoveries:
        recovered_at[recovered.worker].append(recovered.at)
    brokers_of = defaultdict(set)
    for _, _, master, _, broker_id in starts:
        brokers_of[master].add(broker_id)
    recovery_seconds = []
    for pid, at in sigkills:
        moments = [moment for broker_id in brokers_of[pid] for moment in recovered_at[broker_id] if moment >= at]
        if moments:
            recovery_seconds.append(min(moments) - at)
    rerun_seconds = []
    # Each killed job's wait split in two: kill to its worker's recovery, recovery to its restart, by queue.
    waits_after_recovery: dict[str, list[float]] = defaultdict(list)
    for pid, at in sigkills:
        recovered = min((moment for broker_id in brokers_of[pid] for moment in recovered_at[broker_id] if moment >= at), default=None)
        for message_id, attempts in by_message.items():
            for (master, started), later in zip(attempts, attempts[1:]):
                if master == pid and started <= at <= later[1]:
                    rerun_seconds.append(later[1] - at)
                    if recovered is not None:
                        waits_after_recovery[queue_of.get(message_id, "?")].append(later[1] - recovered)

    duplicate_runs = sum(count - 1 for count in runs.values() if count > 1)
    stats = recovery.stats()
    agent_calls = chaos.agent.calls if chaos.agent is not None else []
    agent_down = timeline.agent_down or (0.0, 0.0)
    return {
        "plan": asdict(chaos.plan),
        "jobs sent": len(chaos.sent),
        "jobs lost": len(set(chaos.sent) - ran),
        "jobs ran": len(ran & set(chaos.sent)),
        "sigkills": len(sigkills),
        "sigterms": sum(1 for kind, _, _ in timeline.kills if kind == "TERM"),
        "duplicate runs": duplicate_runs,
        "duplicate runs per 100 sigkills": round(100 * duplicate_runs / max(1, len(sigkills)), 1),
        "unexplained duplicates": unexplained_duplicates,
        "restarted jobs": dict(restarts),
        "unexplained restarts": unexplained_restarts,
        "unique locks that lapsed unreleased": lapsed_unique_locks(client),
        "recovery seconds": summary(recovery_seconds),
        "killed jobs running again after seconds": summary(rerun_seconds),
        "killed jobs running again after their recovery, by queue": {queue: summary(waits) for queue, waits in sorted(waits_after_recovery.items())},
        "recovered": {"dead workers": stats.workers, "messages": stats.messages, "stranded delayed": stats.stranded, "resumed": stats.resumed},
        "recovered by": {by: sum(1 for recovered in recoveries if recovered.by == by) for by in ("pulse", "heartbeat")},
        "recovery delays after the last sign of life": summary([recovered.delay for recovered in recoveries if recovered.delay is not None]),
        "poisoned": delivery_ledger().poisoned_count(),
        # Each one a job that Dramatiq's Retries would have lost: its retry met Redis down.
        "retries resent after Redis refused them": sum(
            log.read_text(errors="replace").count("scalejobs: sent the retry of message") for log in chaos.workdir.glob("*.log")
        ),
        "enqueue while Redis was down": timeline.outage_enqueue,
        "redis down seconds": round(down[1] - down[0], 2),
        "agent outage": {
            "seconds": round(agent_down[1] - agent_down[0], 2),
            "calls failed": sum(1 for call in agent_calls if call.status >= 400),
            "jobs started during it": sum(1 for start in starts if agent_down[0] <= start[3] <= agent_down[1]),
        },
        "left over": left,
        "chaos seconds": round(timeline.chaos_ended - timeline.started, 1),
        "run seconds": round(timeline.settled - timeline.started, 1),
    }


def summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    p99 = statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]
    return {"count": len(values), "p50": round(statistics.median(values), 2), "p99": round(p99, 2), "max": round(max(values), 2)}


def failures(result: dict[str, Any]) -> list[str]:
    """Return what broke the suite's promises, or nothing."""
    problems = []
    left = result["left over"]
    if result["jobs lost"]:
        problems.append(f"{result['jobs lost']} jobs lost")
    if result["unexplained duplicates"]:
        problems.append(f"duplicates not explained by a kill: {result['unexplained duplicates'][:10]}")
    for check in ("every job ran", "broker empty", "no unique lock", "no concurrency slot", "no ECS protection"):
        if left.get(check) is False:
            problems.append(f"not settled: {check}")
    if left["leftovers"] or left["unique locks"] or left["busy slots"]:
        problems.append(f"left over: {left['leftovers']} {left['unique locks']} {left['busy slots']}")
    if result["enqueue while Redis was down"].get("raised") != "BrokerUnavailable":
        problems.append(f"an enqueue while Redis was down did not raise BrokerUnavailable: {result['enqueue while Redis was down']}")
    return problems


def markdown(result: dict[str, Any]) -> str:
    """Render the figures as the Markdown table ``docs/reliability.md`` quotes."""
    plan = result["plan"]
    recovery, rerun = result["recovery seconds"], result["killed jobs running again after seconds"]
    rows = [
        ("jobs", f"{result['jobs sent']} ({plan['broker']} broker, 2 workers x {plan['threads']} threads)"),
        ("jobs lost", result["jobs lost"]),
        ("SIGKILLs / SIGTERMs / Redis restarts", f"{result['sigkills']} / {result['sigterms']} / 1 ({result['redis down seconds']} s down)"),
        ("recovery of a SIGKILLed worker's jobs (kill to requeue), p50 / p99 / max",
         f"{recovery.get('p50', '-')} s / {recovery.get('p99', '-')} s / {recovery.get('max', '-')} s"),
        ("killed jobs running again (kill to restart), p50 / p99 / max",
         f"{rerun.get('p50', '-')} s / {rerun.get('p99', '-')} s / {rerun.get('max', '-')} s"),
        ("recovered by pulse / by Dramatiq heartbeat", f"{result['recovered by']['pulse']} / {result['recovered by']['heartbeat']}"),
        ("processes presumed dead that were only paused", result["recovered"]["resumed"]),
        ("duplicate runs (per 100 SIGKILLs)", f"{result['duplicate runs']} ({result['duplicate runs per 100 sigkills']})"),
        ("jobs restarted", ", ".join(f"{count} {why}" for why, count in result["restarted jobs"].items()) or "0"),
        ("jobs recovered (dead workers swept; stranded delayed jobs put back)",
         f"{result['recovered']['messages']} ({result['recovered']['dead workers']}; {result['recovered']['stranded delayed']})"),
        ("unique locks that outlived their job, released only by their TTL",
         len(result["left over"].get("unique locks outliving their job", []))),
        ("failed jobs whose retry Redis refused, sent again once it answered", result["retries resent after Redis refused them"]),
        ("enqueue while Redis was down", f"{result['enqueue while Redis was down'].get('raised')} after {result['enqueue while Redis was down'].get('seconds')} s"),
        ("ECS agent outage", f"{result['agent outage']['seconds']} s, {result['agent outage']['calls failed']} calls failed, "
         f"{result['agent outage']['jobs started during it']} jobs started during it"),
        ("heartbeat timeout / recovery interval", f"{plan['heartbeat_ms'] / 1000:.0f} s / {plan['recovery_interval']:.0f} s"),
        ("silence / pulse / leader lease", " / ".join(
            "default" if value is None else f"{value} s" for value in (plan["silence"], plan["pulse"], (plan["leader"] or [None])[0])
        )),
        ("chaos window / whole run", f"{result['chaos seconds']} s / {result['run seconds']} s"),
    ]
    lines = ["| figure | value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)]
    return "\n".join(lines) + "\n"


def run(plan: Plan) -> dict[str, Any]:
    """Run the suite once and return its report."""
    workdir = Path(tempfile.mkdtemp(prefix="scalejobs-chaos-"))
    chaos = Chaos(plan, workdir)
    try:
        chaos.start_services()
        # The agent fails from the start, so the first protection call fails and jobs must run unprotected.
        chaos.agent_fails()
        chaos.enqueue()
        for name in ("A", "B"):
            chaos.start_worker(name)
        chaos.run_schedule()
        left = chaos.settle()
        result = report(chaos, left)
        result["logs"] = str(workdir)
        return result
    finally:
        chaos.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the shortened variant that make test runs")
    parser.add_argument("--broker", choices=["dispatch", "plain"], default="dispatch")
    parser.add_argument("--jobs", type=int, help="how many jobs to send")
    parser.add_argument("--report", type=Path, help="write the figures as Markdown to this file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    plan = replace(SHORT if args.short else Plan(), broker=args.broker)
    if args.jobs:
        plan = replace(plan, jobs=args.jobs)
    result = run(plan)
    problems = failures(result)
    result["failures"] = problems
    print(json.dumps(result, indent=2, default=str))
    if args.report:
        args.report.write_text(markdown(result))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
