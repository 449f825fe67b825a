"""An engine on the real test Redis, with a frozen clock and a scripted ECS."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import pytest
import redis

from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.protection.engine import Policy, TaskProtection
from scalejobs.protection.ledger import TaskLedger
from scalejobs.protection.transport import Outcome, TaskIdentity

TASK = "arn:aws:ecs:eu-west-1:123456789012:task/workers/0123456789abcdef"
POLICY = Policy(
    expires_minutes=10,
    renew_before=120.0,
    idle_grace=30.0,
    tick=2.0,
    process_timeout=15.0,
    stuck_after=60.0,
    backoff_base=1.0,
    backoff_max=8.0,
    recheck_after=900.0,
    call_timeout=4.0,
)


class ScriptedECS:
    """A transport that answers from a script, then succeeds; it records each call."""

    name = "scripted"

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.calls: list[bool] = []
        self.replies: deque[Outcome | Callable[[], Outcome]] = deque()

    def update(self, *, enabled: bool, expires_minutes: int) -> Outcome:
        self.calls.append(enabled)
        if self.replies:
            reply = self.replies.popleft()
            return reply() if callable(reply) else reply
        expires = self.clock() + expires_minutes * 60 if enabled else None
        return Outcome(kind="protection", enabled=enabled, expires_at=expires, task_arn=TASK, status=200)

    def read(self) -> Outcome:
        raise NotImplementedError


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def ecs(clock: FrozenClock) -> ScriptedECS:
    return ScriptedECS(clock)


@pytest.fixture
def ledger(redis_db: redis.Redis) -> TaskLedger:
    return TaskLedger(redis_db, KeySpace("scalejobs-test", "protection"), history_length=20)


@pytest.fixture
def make_engine(ledger: TaskLedger, ecs: ScriptedECS, clock: FrozenClock) -> Iterator[Callable[..., TaskProtection]]:
    """Build engines (one per simulated worker process) sharing the task, clock and ECS."""

    def make(process_id: str = "host:1:a", policy: Policy = POLICY, transport: object = None) -> TaskProtection:
        engine = TaskProtection(
            ledger=ledger,
            transport=transport or ecs,  # type: ignore[arg-type]
            identify=lambda: TaskIdentity(task_arn=TASK, cluster="workers"),
            policy=policy,
            clock=clock,
            sleep=clock.advance,
            rng=lambda: 0.5,
            process_id=process_id,
        )
        engine.tick()
        return engine

    yield make
