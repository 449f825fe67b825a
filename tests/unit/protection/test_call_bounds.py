"""One ECS call is bounded as a whole, and the task's call lock outlives that bound."""

from __future__ import annotations

from scalejobs.conf import ProtectionSettings
from scalejobs.protection.runtime import policy_of
from scalejobs.protection.transport import Outcome

from .conftest import POLICY, TASK


def test_the_call_lock_is_held_for_longer_than_the_call_deadline_while_the_call_is_made(make_engine, ecs, ledger, redis_db, clock):
    seen = []

    def answer():
        seen.append(redis_db.pttl(ledger.keys("task", TASK, "lock")))
        return Outcome(kind="protection", enabled=True, expires_at=clock() + 600, status=200)

    ecs.replies.append(answer)
    engine = make_engine()
    engine.claim(1, message_id="m-1", actor="export", time_limit=None)
    (lock_ms,) = seen
    assert lock_ms > POLICY.call_timeout * 1000
    assert redis_db.exists(ledger.keys("task", TASK, "lock")) == 0


def test_the_engine_call_timeout_is_the_transport_deadline_connect_plus_read():
    settings = ProtectionSettings(
        enabled="auto", transport="agent", expires_minutes=60, renew_before_seconds=1800.0, idle_grace_seconds=30.0,
        shutdown_budget_seconds=25.0, stuck_after_seconds=300.0, tick_seconds=2.0, process_timeout_seconds=15.0,
        connect_timeout_seconds=1.0, read_timeout_seconds=3.0, backoff_seconds=1.0, max_backoff_seconds=60.0,
        recheck_seconds=900.0, history=50,
    )
    assert policy_of(settings).call_timeout == 4.0
