"""Every transition of the protection engine, on a real Redis with a frozen clock."""

from __future__ import annotations

import dataclasses
import logging

import pytest
import redis

from scalejobs.keys import KeySpace
from scalejobs.protection.ledger import TaskLedger
from scalejobs.protection.transport import Outcome
from scalejobs.protection.verdict import UNKNOWN_RETRY_LIMIT

from .conftest import POLICY, TASK


def claim(engine, key, time_limit=None):
    engine.claim(key, message_id=f"m-{key}", actor="export", time_limit=time_limit)


def release(engine, key):
    engine.release(key, f"m-{key}")


def state(ledger):
    view = ledger.task(TASK)
    assert view is not None
    return view


def events(ledger):
    return [entry["event"] for entry in reversed(state(ledger).history)]


def test_an_idle_task_makes_no_call(make_engine, ecs, clock):
    engine = make_engine()
    for _ in range(5):
        clock.advance(2)
        engine.tick()
    assert ecs.calls == []


def test_the_first_job_protects_the_task_before_it_starts(make_engine, ecs, ledger, clock):
    engine = make_engine()
    claim(engine, 1)
    assert ecs.calls == [True]
    view = state(ledger)
    assert view.protected_at(clock())
    assert view.since == clock()
    assert view.expires_at == clock() + 600
    assert events(ledger) == ["protected"]


def test_many_jobs_in_one_busy_period_make_one_call(make_engine, ecs, clock):
    engine = make_engine()
    for key in range(1000):
        claim(engine, key)
        claim(engine, key + 10_000)
        release(engine, key)
        release(engine, key + 10_000)
        clock.advance(0.01)
        if key % 200 == 0:
            engine.tick()
    assert ecs.calls == [True]


def test_protection_is_released_after_the_idle_grace(make_engine, ecs, ledger, clock):
    engine = make_engine()
    claim(engine, 1)
    clock.advance(5)
    release(engine, 1)
    clock.advance(29)
    engine.tick()
    assert ecs.calls == [True]
    clock.advance(2)
    engine.tick()
    assert ecs.calls == [True, False]
    assert not state(ledger).protected_at(clock())
    assert events(ledger) == ["protected", "released"]


def test_a_job_inside_the_idle_grace_cancels_the_release(make_engine, ecs, clock):
    engine = make_engine()
    claim(engine, 1)
    release(engine, 1)
    clock.advance(2)
    engine.tick()
    clock.advance(20)
    claim(engine, 2)
    clock.advance(20)
    engine.tick()
    release(engine, 2)
    clock.advance(20)
    engine.tick()
    assert ecs.calls == [True]


def test_protection_is_renewed_before_it_expires_and_keeps_its_start(make_engine, ecs, ledger, clock):
    engine = make_engine()
    claim(engine, 1)
    since = clock()
    while clock() < since + 600 - 120 - 2:
        clock.advance(2)
        engine.tick()
    assert ecs.calls == [True]
    clock.advance(2)
    engine.tick()
    assert ecs.calls == [True, True]
    view = state(ledger)
    assert view.since == since
    assert view.expires_at == clock() + 600
    assert events(ledger) == ["protected", "renewed"]


def test_a_busy_process_keeps_protection_while_another_goes_idle(make_engine, ecs, clock):
    first, second = make_engine("host:1:a"), make_engine("host:2:b")
    claim(first, 1)
    claim(second, 2)
    release(first, 1)
    for _ in range(30):
        clock.advance(2)
        first.tick()
        second.tick()
    assert ecs.calls == [True]
    release(second, 2)
    for _ in range(16):
        clock.advance(2)
        first.tick()
        second.tick()
    assert ecs.calls == [True, False]


def test_a_process_that_stops_heartbeating_is_swept_and_protection_ends_after_the_grace(make_engine, ecs, ledger, clock):
    killed, survivor = make_engine("host:1:killed"), make_engine("host:2:alive")
    claim(killed, 1)
    killed.tick()
    for _ in range(7):
        clock.advance(2)
        survivor.tick()
    assert ecs.calls == [True]
    assert {p.id for p in state(ledger).processes} == {"host:1:killed", "host:2:alive"}
    clock.advance(2)
    survivor.tick()
    assert {p.id for p in state(ledger).processes} == {"host:2:alive"}
    assert "swept" in events(ledger)
    for _ in range(15):
        clock.advance(2)
        survivor.tick()
    assert ecs.calls == [True, False]


def test_a_job_stuck_far_past_its_time_limit_stops_extending_protection_and_is_reported(make_engine, ecs, ledger, clock, caplog):
    engine = make_engine()
    claim(engine, 1, time_limit=10)
    caplog.set_level(logging.ERROR, "scalejobs.protection")
    for _ in range(36):
        clock.advance(2)
        engine.tick()
    assert [job.stuck for job in state(ledger).jobs] == [True]
    assert engine.active == 0
    assert "stuck" in events(ledger)
    assert len([r for r in caplog.records if "past its time limit" in r.getMessage()]) == 1
    assert ecs.calls == [True]
    for _ in range(16):
        clock.advance(2)
        engine.tick()
    assert ecs.calls == [True, False]
    release(engine, 1)
    assert engine.active == 0


def test_releasing_a_job_never_claimed_changes_nothing(make_engine, ecs):
    engine = make_engine()
    release(engine, 1)
    claim(engine, 2)
    engine.release(2, "another message")
    assert engine.active == 1
    release(engine, 2)
    release(engine, 2)
    assert engine.active == 0


def test_a_new_job_on_the_same_thread_replaces_a_claim_whose_release_was_lost(make_engine):
    engine = make_engine()
    engine.claim("thread-1", message_id="first", actor="export", time_limit=None)
    engine.claim("thread-1", message_id="second", actor="export", time_limit=None)
    assert engine.active == 1
    engine.release("thread-1", "second")
    assert engine.active == 0


def test_a_job_waits_for_a_release_in_flight_at_most_one_call_timeout(make_engine, ecs, ledger, redis_db, clock):
    engine = make_engine()
    redis_db.set(ledger.keys("task", TASK, "lock"), "host:9:z disable")
    started = clock()
    claim(engine, 1)
    assert ecs.calls == []
    assert clock() - started == pytest.approx(POLICY.call_timeout, abs=0.1)
    redis_db.delete(ledger.keys("task", TASK, "lock"))
    engine.tick()
    assert ecs.calls == [True]


def test_throttling_backs_off_then_succeeds(make_engine, ecs, ledger, clock):
    ecs.replies.extend([Outcome(kind="error", status=400, code="ThrottlingException", message="Rate exceeded")] * 2)
    engine = make_engine()
    claim(engine, 1)
    assert ecs.calls == [True]
    view = state(ledger)
    assert view.status == "off" and view.failures == 1
    assert view.backoff_until == pytest.approx(clock() + 0.5)
    engine.tick()
    assert ecs.calls == [True]
    clock.advance(0.6)
    engine.tick()
    assert ecs.calls == [True, True]
    assert state(ledger).backoff_until == pytest.approx(clock() + 1.0)
    clock.advance(1.1)
    engine.tick()
    assert ecs.calls == [True, True, True]
    assert state(ledger).protected_at(clock())
    assert events(ledger) == ["failed", "failed", "protected"]


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome(kind="error", status=429, message="You have reached maximum request limit."),
        Outcome(kind="error", status=500, code="ServerException", message="Unexpected error occurred"),
        Outcome(kind="error", status=504, code="RequestCanceled", message="Timed out calling ECS Task Protection API"),
        Outcome(kind="unreachable", message="TimeoutError: no answer"),
    ],
    ids=["429", "500", "504", "timeout"],
)
def test_transient_errors_back_off_exponentially_up_to_the_cap(make_engine, ecs, ledger, clock, outcome):
    ecs.replies.extend([outcome] * 8)
    engine = make_engine()
    claim(engine, 1)
    delays = []
    for _ in range(7):
        delay = state(ledger).backoff_until - clock()
        delays.append(round(delay, 3))
        clock.advance(delay + 0.01)
        engine.tick()
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert state(ledger).switched_off is None
    assert state(ledger).status == ("off" if outcome.status == 429 else "unknown")


@pytest.mark.parametrize(
    ("outcome", "fix"),
    [
        (Outcome(kind="failure", status=200, code="TASK_NOT_VALID", message="Task is not part of a service"), "ECS service"),
        (Outcome(kind="error", status=400, code="AccessDeniedException", message="not authorized"), "ecs:UpdateTaskProtection"),
    ],
    ids=["TASK_NOT_VALID", "AccessDeniedException"],
)
def test_a_refusal_switches_protection_off_with_one_error_naming_the_fix(make_engine, ecs, ledger, clock, caplog, outcome, fix):
    caplog.set_level(logging.WARNING, "scalejobs.protection")
    ecs.replies.append(outcome)
    first, second = make_engine("host:1:a"), make_engine("host:2:b")
    claim(first, 1)
    claim(second, 2)
    for _ in range(10):
        clock.advance(2)
        first.tick()
        second.tick()
    assert ecs.calls == [True]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and fix in errors[0] and outcome.code in errors[0]
    view = state(ledger)
    assert view.switched_off == outcome.code and view.recheck_at == pytest.approx(clock() - 20 + 900)
    clock.advance(900)
    first.tick()
    assert ecs.calls == [True, True]
    assert state(ledger).switched_off is None


def test_unknown_answers_are_retried_a_few_times_then_switched_off(make_engine, ecs, ledger, clock):
    ecs.replies.extend([Outcome(kind="error", status=400, code="SomethingNew", message="?")] * 10)
    engine = make_engine()
    claim(engine, 1)
    for _ in range(20):
        clock.advance(10)
        engine.tick()
    assert len(ecs.calls) == UNKNOWN_RETRY_LIMIT
    assert state(ledger).switched_off == "SomethingNew"


def test_an_answer_that_contradicts_the_request_is_not_success(make_engine, ecs, ledger, clock):
    ecs.replies.append(Outcome(kind="protection", enabled=False, status=200))
    engine = make_engine()
    claim(engine, 1)
    assert state(ledger).failures == 1
    assert not state(ledger).protected_at(clock())


def test_an_unanswered_enable_is_undone_once_the_task_is_idle(make_engine, ecs, ledger, clock):
    ecs.replies.append(Outcome(kind="unreachable", message="TimeoutError"))
    engine = make_engine(policy=dataclasses.replace(POLICY, idle_grace=0.0))
    claim(engine, 1)
    release(engine, 1)
    assert state(ledger).status == "unknown"
    clock.advance(2)
    engine.tick()
    assert ecs.calls == [True, False]
    assert state(ledger).status == "off"


def test_protection_that_expires_unrenewed_is_marked_expired(make_engine, ecs, ledger, clock):
    engine = make_engine()
    claim(engine, 1)
    ecs.replies.extend([Outcome(kind="error", status=400, code="ThrottlingException")] * 100)
    for _ in range(310):
        clock.advance(2)
        engine.tick()
    assert "expired" in events(ledger)
    assert not state(ledger).protected_at(clock())


def test_the_last_process_to_stop_releases_protection_at_once(make_engine, ecs, clock):
    first, second = make_engine("host:1:a"), make_engine("host:2:b")
    claim(first, 1)
    release(first, 1)
    first.stop()
    assert ecs.calls == [True]
    second.stop()
    assert ecs.calls == [True, False]


def test_a_job_runs_when_redis_is_unreachable(ecs, clock):
    from scalejobs.protection.engine import TaskProtection
    from scalejobs.protection.transport import TaskIdentity

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    engine = TaskProtection(
        ledger=TaskLedger(dead, KeySpace("scalejobs-test", "protection")),
        transport=ecs,
        identify=lambda: TaskIdentity(task_arn=TASK),
        policy=POLICY,
        clock=clock,
    )
    engine.tick()
    claim(engine, 1)
    release(engine, 1)
    assert ecs.calls == []
