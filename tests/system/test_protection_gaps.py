"""The gaps issue 13 closed, in real rundramatiq workers against the fake ECS agent.

A job taken while the worker boots, a task ECS refuses to protect because it
is going away, ``protect="auto"``, and an agent that dribbles or floods its
answer. The scale-in storm has a module of its own (``test_protection_storm``).
"""

from __future__ import annotations

import json
import signal

import pytest

from scalejobs.testing.ecs_agent import FakeAgent, Reply
from tests.conftest import wait_for
from tests.system.test_protection_workers import FAST, agent, ledger, processes, records, released, workers  # noqa: F401
from tests.testapp.protection_tasks import FINISHED, STARTED, brief_hold, hold

pytestmark = pytest.mark.system


def test_a_job_queued_before_the_worker_boots_is_protected_from_its_first_half_second_to_its_end(
    start_worker, agent: FakeAgent, redis_db, broker
):
    hold.send("early", 4)
    env = {**agent.environ(), "DJANGO_SETTINGS_MODULE": "tests.system.protection_settings"}
    start_worker("--processes", "1", "--threads", "2", env=env)
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=60)
    ((_, started, ended, _),) = records(redis_db, FINISHED)
    changes = agent.changes()
    assert changes, "the job ran without a single call to the agent"
    first_enable, enabled = changes[0]
    assert enabled is True and first_enable <= started + 0.5
    assert all(enabled for at, enabled in changes if at <= ended)


def peak_memory_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def test_a_dribbling_or_flooding_agent_delays_a_job_by_at_most_the_call_deadline_and_memory_stays_flat(
    workers, agent, ledger, redis_db
):
    deadline = FAST["CONNECT_TIMEOUT_SECONDS"] + FAST["READ_TIMEOUT_SECONDS"]
    workers(1)
    (process,) = ledger.task(agent.task_arn).processes
    before = peak_memory_kib(process.pid)
    delays = []
    for token, reply in (("dribbled", Reply.dribbling(every=0.5)), ("flooded", Reply.flood(10 * 1024 * 1024))):
        agent.script(reply)
        asked = len(agent.puts())
        hold.send(token, 0.1)
        wait_for(lambda: redis_db.llen(FINISHED) == len(delays) + 1, timeout=30)
        started = records(redis_db, FINISHED)[-1][1]
        delays.append(started - agent.puts()[asked].at)
        wait_for(lambda: released(agent), timeout=30)
    print(f"start delays with a dribbling and a flooding agent: {delays[0]:.2f} s, {delays[1]:.2f} s (deadline {deadline} s)")
    assert all(delay <= deadline + 1.0 for delay in delays)
    assert peak_memory_kib(process.pid) - before < 5 * 1024


@pytest.fixture
def task_workers(start_worker, agent, ledger, broker):
    """Start ``count`` one-process workers of one ECS task with a 9 s heartbeat (a 3 s stand-down)."""

    def start(count=1, threads=2, **protection):
        env = {
            **agent.environ(),
            "DJANGO_SETTINGS_MODULE": "tests.system.protection_settings",
            "SCALEJOBS_TEST_PROTECTION": json.dumps({**FAST, **protection}),
            "SCALEJOBS_TEST_HEARTBEAT_MS": str(STAND_DOWN_HEARTBEAT_MS),
        }
        before = processes(ledger, agent)
        started = [start_worker("--processes", "1", "--threads", str(threads), env=env) for _ in range(count)]
        wait_for(lambda: processes(ledger, agent) >= before + count, timeout=60)
        return started

    return start


STAND_DOWN_HEARTBEAT_MS = 9000
STAND_DOWN = STAND_DOWN_HEARTBEAT_MS / 3000


def test_a_refusal_while_stopping_hands_the_job_back_and_the_process_stops_fetching(task_workers, agent, redis_db):
    agent.script(Reply.stopping())
    (worker,) = task_workers()
    hold.send("refused", 0.2)
    wait_for(lambda: "Handed hold" in worker.output(), timeout=30)
    refused_at = agent.puts()[0].at
    hold.send("queued-meanwhile", 0.2)
    wait_for(lambda: redis_db.llen(FINISHED) == 2, timeout=60)
    starts = records(redis_db, STARTED)
    # Each started once, and only after the stand-down: hold has max_retries=0, so a used
    # retry would have failed the job instead of running it.
    assert sorted(start[0] for start in starts) == ["queued-meanwhile", "refused"]
    assert all(start[1] >= refused_at + STAND_DOWN - 0.2 for start in starts)
    assert agent.puts()[0].response["failure"]["Reason"] == "TASK_STOPPING"
    assert "Taking messages again" in worker.output()


def test_sigterm_while_a_job_waits_for_its_claim_hands_it_back_unstarted(task_workers, start_worker, agent, redis_db):
    agent.script(Reply.slow(1.2))
    (worker,) = task_workers(SHUTDOWN_BUDGET_SECONDS=10.0)
    hold.send("waiting", 0.2)
    wait_for(lambda: agent.puts(), timeout=30)
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(30) == 0
    assert redis_db.llen(STARTED) == 0
    assert "the worker is stopping" in worker.output()
    task_workers()
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=60)
    assert [start[0] for start in records(redis_db, STARTED)] == ["waiting"]


def test_protect_auto_calls_the_agent_only_for_jobs_longer_than_the_drain_budget(task_workers, agent, redis_db):
    task_workers(SHUTDOWN_BUDGET_SECONDS=5.0)
    brief_hold.send("fits", 0.5)  # time limit 3 s
    wait_for(lambda: redis_db.llen(FINISHED) == 1, timeout=30)
    assert agent.puts() == []
    hold.send("long", 0.5)  # time limit 5 minutes
    wait_for(lambda: redis_db.llen(FINISHED) == 2, timeout=30)
    wait_for(lambda: released(agent), timeout=30)
    assert [call.enabled for call in agent.puts()] == [True, False]
