"""Hold an ECS task's scale-in protection exactly while its jobs run.

Invariant: while any worker process of an ECS task runs a job that protects
(its actor's ``protect`` is true and it is not stuck far past its time
limit), the task is protected, or the call that protects it is in flight or
backing off after an error; once every such job has ended and the idle grace
has passed, protection is released. ECS sees O(busy periods + renewals)
calls, never O(jobs).

Why Redis and leases. Protection belongs to the task, shared by every worker
process (and container) in it, and the admin in a web container must see it;
so the shared record lives in Redis (``TaskLedger``, keys under
``<prefix>:protection:task:<task arn>:``), not in a file lock. To keep Redis
off the per-job path, each process counts its jobs in memory and holds a
*lease* in Redis: "this process may be busy until T". A busy process extends
its lease (to now + process timeout) on every tick; an idle one shrinks it to
the end of its last job. A job that starts while the process's lease has less
than half of its length left first publishes a fresh lease. Release is
decided in one script that reads every lease, so it never misses a busy
process: a lease in Redis always covers that process's running jobs.

Redis keys, under ``<prefix>:protection:`` and written only through the
ledger: ``tasks`` (set of task ARNs) and, per task, ``task:<arn>:alive``
(heartbeat marker), ``:state`` (protection), ``:procs`` (heartbeats),
``:leases``, ``:jobs`` (jobs in flight per process), ``:history`` and
``:lock`` (the call in flight); types and fields are listed in ``lua/sync.lua``.

Calls to ECS are serialised per task by a lock in Redis that names the call
in flight; a job that starts while a release is in flight waits (at most one
call timeout) and the task is protected again before it runs. A process that
stops heartbeating for the process timeout (SIGKILL, OOM) is swept: its lease
ends then, and its jobs leave the record. Outcomes are judged in ``verdict``:
``TASK_NOT_VALID`` and ``AccessDeniedException`` switch protection off for the
task until a re-check; throttling, 429, 5xx, ``RequestCanceled`` and
unreachable agents back off exponentially with full jitter; any other answer
is retried likewise but a few times in a row at most. Jobs
never wait longer than one call timeout and always run (fail open).

Time comes from the injected clock (all processes of a task share a host,
hence a clock); ECS is reached through the injected ``Transport``. The
module is longer than most
because the claim path, the tick and convergence share one lock discipline
(``_lock`` guards claims and the lease, ``_calling`` one caller per process),
and reading it in one place is what keeps it right.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from .state import KEEP, Keep
from .transport import Outcome, TaskIdentity, Transport
from .verdict import judge

if TYPE_CHECKING:
    from .ledger import Decision, TaskLedger

logger = logging.getLogger("scalejobs.protection")

# At most this many calls per convergence; the next tick takes over after that.
MAX_CALLS = 2
# How often a job waiting for another process's call looks again.
WAIT_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The tunables of ``TaskProtection``, in seconds unless named otherwise."""

    expires_minutes: int = 60
    renew_before: float = 1800.0
    idle_grace: float = 30.0
    tick: float = 2.0
    process_timeout: float = 15.0
    stuck_after: float = 300.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    recheck_after: float = 900.0
    # The longest one ECS call can take (connect + read timeouts).
    call_timeout: float = 4.0

    @property
    def lease(self) -> float:
        """How far ahead a busy process's lease reaches."""
        return self.process_timeout

    @property
    def data_ttl(self) -> float:
        """How long a task's record outlives its last heartbeat: past any protection it set."""
        return self.expires_minutes * 60 + self.process_timeout


class Timing(TypedDict):
    """The policy's timing arguments of ``TaskLedger.sync``, in seconds."""

    process_timeout: float
    data_ttl: float
    idle_grace: float
    renew_before: float


@dataclass(slots=True)
class Claim:
    """A job in flight in this process."""

    message_id: str
    actor: str
    started_at: float
    # When the job counts as stuck: its time limit plus the stuck margin; None for never.
    stuck_at: float | None
    stuck: bool = False


class TaskProtection:
    """Claim protection for jobs of this process; sync with the task's other processes."""

    def __init__(
        self,
        *,
        ledger: TaskLedger,
        transport: Transport,
        identify: Callable[[], TaskIdentity],
        policy: Policy,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        process_id: str | None = None,
    ) -> None:
        self.ledger = ledger
        self.transport = transport
        self.identify = identify
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.process_id = process_id or f"{self.host}:{self.pid}:{uuid.uuid4().hex[:6]}"
        self.task: TaskIdentity | None = None
        self._identify_after = 0.0
        self._identify_failures = 0
        self._lock = threading.Lock()
        self._calling = threading.Lock()
        self._claims: dict[Hashable, Claim] = {}
        self._active = 0
        self._last_busy = 0.0
        self._lease_until = 0.0
        self._quiet_until = 0.0
        self._refused = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._complained_at = 0.0

    # -- the hot path ------------------------------------------------------------------------

    def claim(self, key: Hashable, *, message_id: str, actor: str, time_limit: float | None) -> bool:
        """Hold protection for a job about to start; ``time_limit`` in seconds (None: none).

        Return False, holding nothing, when ECS refused to protect the task
        because it is going away: the job must not start here.
        """
        now = self.clock()
        stuck_at = None if time_limit is None else now + time_limit + self.policy.stuck_after
        with self._lock:
            previous = self._claims.get(key)
            if previous is not None and not previous.stuck:
                # Its release never came (e.g. TimeLimitExceeded landed in an after-hook).
                self._active -= 1
            self._claims[key] = Claim(message_id=message_id, actor=actor, started_at=now, stuck_at=stuck_at)
            self._active += 1
            if self.task is None or (now < self._lease_until - self.policy.lease / 2 and now < self._quiet_until):
                return self._admit(key)
            try:
                decision = self._publish(now, jobs="")
            except Exception as error:
                self._complain("could not publish this process's jobs", error)
                return True
        if decision.action != "none":
            self._converge(deadline=now + self.policy.call_timeout, blocking=True)
        with self._lock:
            return self._admit(key)

    def _admit(self, key: Hashable) -> bool:
        """Keep the claim unless the task was refused protection; hold ``self._lock``."""
        if not self._refused:
            return True
        claim = self._claims.pop(key, None)
        if claim is not None and not claim.stuck:
            # The job never ran: leave _last_busy alone, so no idle grace asks ECS again for it.
            self._active -= 1
        if self._active == 0:
            # Publish at the next tick that this process is idle, not busy for a whole lease.
            self._lease_until = 0.0
        return False

    def release(self, key: Hashable, message_id: str) -> None:
        """Let go of the claim of a finished (or skipped) job; ignore jobs never claimed."""
        with self._lock:
            claim = self._claims.get(key)
            if claim is None or claim.message_id != message_id:
                return
            del self._claims[key]
            if not claim.stuck:
                self._active -= 1
                if self._active == 0:
                    self._last_busy = self.clock()

    # -- the tick ----------------------------------------------------------------------------

    def tick(self) -> None:
        """Publish this process's lease and jobs, report stuck jobs, and make any due call."""
        now = self.clock()
        if self.task is None and not self._identify(now):
            return
        with self._lock:
            events = self._mark_stuck(now)
            jobs = json.dumps(
                {
                    "host": self.host,
                    "pid": self.pid,
                    "cluster": self.task.cluster if self.task else None,
                    "transport": self.transport.name,
                    "jobs": [
                        {"message_id": c.message_id, "actor": c.actor, "started_at": c.started_at, "stuck": c.stuck}
                        for c in self._claims.values()
                    ],
                }
            )
            try:
                decision = self._publish(now, jobs=jobs, events=events)
            except Exception as error:
                self._complain("could not publish this process's jobs", error)
                return
        if decision.action != "none":
            self._converge(deadline=now, blocking=False)

    def _publish(self, now: float, *, jobs: str, events: tuple[dict[str, Any], ...] = ()) -> Decision:
        """Publish the lease (hold ``self._lock``) and decide, without taking the call lock."""
        assert self.task is not None
        lease = now + self.policy.lease if self._active else self._last_busy
        decision = self.ledger.sync(self.task.task_arn, self.process_id, now=now, lease=lease, jobs=jobs, events=events, **self._timing())
        self._lease_until = lease
        self._remember(decision, now)
        return decision

    def _timing(self) -> Timing:
        p = self.policy
        return {"process_timeout": p.process_timeout, "data_ttl": p.data_ttl, "idle_grace": p.idle_grace, "renew_before": p.renew_before}

    def _remember(self, decision: Decision, now: float) -> None:
        self._refused = decision.refused
        if decision.recheck_at > now:
            quiet = decision.recheck_at
        elif decision.backoff_until > now:
            quiet = decision.backoff_until
        elif decision.status == "on" and decision.action in ("none", "wait"):
            quiet = decision.expires_at - self.policy.renew_before
        else:
            quiet = 0.0
        self._quiet_until = quiet

    def _mark_stuck(self, now: float) -> tuple[dict[str, Any], ...]:
        events = []
        for claim in self._claims.values():
            if claim.stuck or claim.stuck_at is None or claim.stuck_at > now:
                continue
            claim.stuck = True
            self._active -= 1
            if self._active == 0:
                self._last_busy = now
            detail = (
                f"job {claim.actor} {claim.message_id} has run {now - claim.started_at:.0f} s, "
                f"{self.policy.stuck_after:.0f} s past its time limit; it no longer holds protection"
            )
            logger.error("ECS protection: %s (process %s).", detail, self.process_id)
            events.append({"at": now, "event": "stuck", "detail": detail, "process": self.process_id})
        return tuple(events)

    # -- calls to ECS ------------------------------------------------------------------------

    def _converge(self, *, deadline: float, blocking: bool) -> None:
        """Make due calls until none is due, one thread of this process at a time."""
        if blocking:
            acquired = self._calling.acquire(timeout=max(0.0, deadline - self.clock()))
        else:
            acquired = self._calling.acquire(blocking=False)
        if not acquired:
            return
        try:
            calls = 0
            while calls < MAX_CALLS:
                decision = self._decide()
                if decision is None or decision.action == "none":
                    return
                if decision.action == "wait":
                    if self.clock() >= deadline:
                        return
                    self.sleep(WAIT_POLL_SECONDS)
                    continue
                self._call(decision)
                calls += 1
        finally:
            self._calling.release()

    def _decide(self, idle_grace: float | None = None) -> Decision | None:
        assert self.task is not None
        now = self.clock()
        timing = self._timing()
        if idle_grace is not None:
            timing["idle_grace"] = idle_grace
        try:
            decision = self.ledger.sync(self.task.task_arn, self.process_id, now=now, lock_ttl=self.policy.call_timeout + 1.0, **timing)
        except Exception as error:
            self._complain("could not read the task's protection", error)
            return None
        self._remember(decision, now)
        return decision

    def _call(self, decision: Decision) -> None:
        assert self.task is not None
        enable = decision.action == "enable"
        started = self.clock()
        try:
            outcome = self.transport.update(enabled=enable, expires_minutes=self.policy.expires_minutes)
        except Exception as error:
            outcome = Outcome(kind="unreachable", message=f"{type(error).__name__}: {error}")
        now = self.clock()
        verdict = judge(
            decision, outcome, policy=self.policy, started=started, now=now, draw=self.rng(),
            task=self.task.task_arn, process=self.process_id,
        )
        logger.log(verdict.level, verdict.message)
        change = verdict.change
        if change.refused_at is not KEEP:
            self._refused = change.refused_at is not None
        try:
            self.ledger.record(self.task.task_arn, self.process_id, decision.action, change, verdict.entry, data_ttl=self.policy.data_ttl)
        except Exception as error:
            self._complain("could not record a protection call", error)
            self._quiet_until = 0.0
            return
        if change.status == "on":
            self._quiet_until = _number(change.expires_at) - self.policy.renew_before
        else:
            self._quiet_until = max(_number(change.backoff_until), _number(change.recheck_at))

    # -- identity, lifecycle -----------------------------------------------------------------

    def _identify(self, now: float) -> bool:
        if now < self._identify_after:
            return False
        try:
            self.task = self.identify()
        except Exception as error:
            self._identify_failures += 1
            delay = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** self._identify_failures)
            self._identify_after = now + delay
            logger.warning("ECS protection cannot tell which task this is yet (%s); next try in %.0f s.", error, delay)
            return False
        return True

    def start(self) -> None:
        """Find the task and start ticking in a daemon thread."""
        self._identify(self.clock())
        self._thread = threading.Thread(target=self._run, name="scalejobs-protection", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.policy.tick * (0.9 + 0.2 * self.rng())):
            try:
                self.tick()
            except Exception as error:
                self._complain("tick failed", error)

    def stop(self) -> None:
        """Stop ticking and leave the task; release protection if this was its last process."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.policy.call_timeout + 1.0)
        if self.task is None:
            return
        try:
            remaining = self.ledger.leave(
                self.task.task_arn, self.process_id, now=self.clock(), process_timeout=self.policy.process_timeout, data_ttl=self.policy.data_ttl
            )
        except Exception as error:
            self._complain("could not leave the task's record", error)
            return
        if remaining == 0 and self._calling.acquire(timeout=self.policy.call_timeout):
            try:
                decision = self._decide(idle_grace=0.0)
                if decision is not None and decision.action == "disable":
                    self._call(decision)
            finally:
                self._calling.release()

    def _complain(self, what: str, error: BaseException) -> None:
        """Log a store or tick failure, at most once every ten seconds."""
        now = time.monotonic()
        if now - self._complained_at >= 10.0:
            self._complained_at = now
            logger.warning("ECS protection %s: %s; jobs keep running.", what, error)

    # -- introspection for tests -------------------------------------------------------------

    @property
    def active(self) -> int:
        """How many jobs of this process hold protection now."""
        return self._active


def _number(value: float | None | Keep) -> float:
    return 0.0 if value is None or value is KEEP else value
