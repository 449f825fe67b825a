"""ECS protection and the graceful drain in real rundramatiq workers, against the fake ECS agent.

Workers run ``tests.system.protection_settings`` with short ticks, a 2 s idle
grace and a 3 s process timeout, so each test lasts seconds, not minutes.
"""

from __future__ import annotations

import json
import signal
import time

import pytest

from scalejobs.testing.ecs_agent import FakeAgent, Reply
from scalejobs.protection.ledger import TaskLedger
from scalejobs.store import keyspace
from tests.conftest import wait_for
from tests.testapp.protection_tasks import FINISHED, STARTED, blip, hold, hold_elsewhere, unprotected_hold

pytestmark = pytest.mark.system

GRACE = 2.0
FAST = {
    "TICK_SECONDS": 0.5,
    "PROCESS_TIMEOUT_SECONDS": 3.0,
    "IDLE_GRACE_SECONDS": GRACE,
    "CONNECT_TIMEOUT_SECONDS": 0.5,
    "READ_TIMEOUT_SECONDS": 1.0,
    "BACKOFF_SECONDS": 0.5,
    "MAX_BACKOFF_SECONDS": 2.0,
}


@pytest.fixture
def agent():
    with FakeAgent() as fake:
        yield fake


@pytest.fixture
def ledger(redis_db):
    return TaskLedger(redis_db, keyspace("protection"))


@pytest.fixture
def workers(start_worker, agent, ledger, broker):
    """Start ``count`` workers of one ECS task (processes x threads) and wait until they report."""

    def start(count=2, *args, **protection):
        env = {
            **agent.environ(),
            "DJANGO_SETTINGS_MODULE": "tests.system.protection_settings",
            "SCALEJOBS_TEST_PROTECTION": json.dumps({**FAST, **protection}),
        }
        started = [start_worker("--processes", "1", "--threads", "8", *args, env=env) for _ in range(count)]
        before = processes(ledger, agent)
        wait_for(lambda: processes(ledger, agent) >= before + count, timeout=60)
        return started

    return start


def processes(ledger, agent):
    view = ledger.task(agent.task_arn)
    return len(view.processes) if view else 0


def records(redis_db, key):
    rows = []
    for raw in redis_db.lrange(key, 0, -1):
        token, started, ended, pid = raw.decode().split("|")
        rows.append((token, float(started), float(ended), int(pid)))
    return rows


def puts(agent):
    return [(call.at, call.enabled) for call in agent.puts()]


def released(agent):
    return bool(agent.puts()) and agent.puts()[-1].enabled is False and agent.puts()[-1].status == 200


def test_ten_thousand_short_jobs_make_one_busy_period_and_at_most_four_calls(workers, agent, redis_db):
    workers(2)
    for number in range(10_000):
        blip.send(str(number))
    wait_for(lambda: redis_db.llen(FINISHED) == 10_000, timeout=120)
    wait_for(lambda: released(agent), timeout=30)
    jobs = records(redis_db, FINISHED)
    first_start, last_end = min(job[1] for job in jobs), max(job[2] for job in jobs)
    calls = puts(agent)
    assert len(calls) <= 4
    assert calls[0][1] is True and calls[0][0] <= first_start
    assert all(enabled for at, enabled in calls if at <= last_end)
    assert calls[-1][1] is False and calls[-1][0] >= last_end + GRACE
    assert len({job[0] for job in jobs}) == 10_000


def test_a_job_longer_than_the_renewal_point_is_renewed_before_expiry(workers, agent, redis_db):
    # ECS's shortest expiry is a minute; renewing with 50 s left renews 10 s in.
    workers(1, EXPIRES_MINUTES=1, RENEW_BEFORE_SECONDS=50.0)
    hold.send("long", 13)
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=60)
    wait_for(lambda: released(agent), timeout=30)
    ((_, started, ended, _),) = records(redis_db, FINISHED)
    calls = puts(agent)
    assert [enabled for _, enabled in calls] == [True, True, False]
    assert calls[0][0] <= started and started + 9 <= calls[1][0] <= ended
    assert all(call.body == {"ProtectionEnabled": True, "ExpiresInMinutes": 1} for call in agent.puts()[:2])
    # Never a moment without protection while the job ran.
    changes = agent.changes()
    assert [enabled for _, enabled in changes] == [True, True, False] and changes[-1][0] >= ended


def test_throttling_backs_off_and_then_protects_while_every_job_runs(workers, agent, redis_db):
    agent.script(Reply.throttled(), Reply.throttled())
    workers(2)
    for number in range(16):
        hold.send(str(number), 3)
    wait_for(lambda: redis_db.llen(FINISHED) == 16, timeout=60)
    wait_for(lambda: released(agent), timeout=30)
    enabled = [call.enabled for call in agent.puts()]
    assert enabled == [True, True, True, False]
    assert [call.status for call in agent.puts()] == [400, 400, 200, 200]


def test_task_not_valid_switches_protection_off_with_one_log_line_and_jobs_still_run(workers, agent, redis_db, ledger):
    agent.respond_always(Reply.failure("TASK_NOT_VALID", "Task is not part of a service"))
    started = workers(2)
    for number in range(40):
        blip.send(str(number))
    wait_for(lambda: redis_db.llen(FINISHED) == 40, timeout=60)
    wait_for(lambda: ledger.task(agent.task_arn).switched_off == "TASK_NOT_VALID", timeout=10)
    assert len(agent.puts()) == 1
    logs = "".join(worker.output() for worker in started)
    assert logs.count("ECS protection is switched off") == 1
    assert "run the workers as an ECS service" in logs


def test_a_hanging_agent_delays_a_job_by_at_most_the_client_timeout(workers, agent, redis_db):
    agent.script(Reply.hang())
    workers(1)
    hold.send("patient", 0.1)
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=30)
    ((_, started, _, _),) = records(redis_db, FINISHED)
    asked = agent.puts()[0].at
    assert asked <= started <= asked + FAST["CONNECT_TIMEOUT_SECONDS"] + FAST["READ_TIMEOUT_SECONDS"] + 1.0
    wait_for(lambda: released(agent), timeout=30)


def test_a_job_with_protect_false_takes_no_protection(workers, agent, redis_db):
    workers(1)
    unprotected_hold.send("free", 1.5)
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=30)
    hold.send("guarded", 0.1)
    wait_for(lambda: released(agent), timeout=30)
    assert [call.enabled for call in agent.puts()] == [True, False]
    assert agent.puts()[0].at > records(redis_db, FINISHED)[0][2]


def test_sigkill_of_the_protecting_process_keeps_protection_for_the_other_until_it_is_idle(workers, agent, redis_db, ledger):
    (protector,) = workers(1, "--queues", "default")
    hold.send("doomed", 60)
    wait_for(lambda: agent.protected, timeout=30)
    (survivor,) = workers(1, "--queues", "protection-elsewhere")
    hold_elsewhere.send("survives", 8)
    wait_for(lambda: redis_db.llen(STARTED) == 2, timeout=30)
    protector.signal(signal.SIGKILL)
    protector.process.wait(10)
    wait_for(lambda: processes(ledger, agent) == 1, timeout=30)
    assert agent.protected
    assert [call.enabled for call in agent.puts()] == [True]
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=30)
    wait_for(lambda: released(agent), timeout=30)
    ((_, _, ended, _),) = records(redis_db, FINISHED)
    assert [call.enabled for call in agent.puts()] == [True, False]
    assert agent.puts()[-1].at >= ended + GRACE
    assert any(entry["event"] == "swept" for entry in ledger.task(agent.task_arn).history)


def test_sigterm_lets_a_running_job_finish_within_the_budget(workers, agent, redis_db):
    (worker,) = workers(1, SHUTDOWN_BUDGET_SECONDS=25.0)
    hold.send("finishes", 10)
    wait_for(lambda: redis_db.llen(STARTED) == 1, timeout=30)
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(40) == 0
    assert [job[0] for job in records(redis_db, FINISHED)] == ["finishes"]
    assert redis_db.llen("dramatiq:default") == 0
    assert not any(redis_db.scard(key) for key in redis_db.scan_iter("dramatiq:__acks__.*"))


def test_sigterm_hands_a_job_longer_than_the_budget_back_to_run_on_another_worker(workers, agent, redis_db):
    # The 60 s job with a 5 s budget, shortened to 15 s: the mechanism is the same.
    (first,) = workers(1, SHUTDOWN_BUDGET_SECONDS=5.0)
    hold.send("handed-back", 15)
    wait_for(lambda: redis_db.llen(STARTED) == 1, timeout=30)
    signalled = time.monotonic()
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(30) == 0
    assert time.monotonic() - signalled < 5.0 + 5.0
    assert redis_db.llen(FINISHED) == 0
    (second,) = workers(1)
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=60)
    starts = records(redis_db, STARTED)
    ((_, _, _, finisher),) = records(redis_db, FINISHED)
    assert [start[0] for start in starts] == ["handed-back", "handed-back"]
    assert starts[0][3] != finisher == starts[1][3]
    assert "handed back 1 running job(s)" in first.output()
