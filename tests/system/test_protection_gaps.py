"""The gaps issue 13 closed, in real rundramatiq workers against the fake ECS agent.

A job taken while the worker boots, a task ECS refuses to protect because it
is going away, ``protect="auto"``, and an agent that dribbles or floods its
answer. The scale-in storm has a module of its own (``test_protection_storm``).
"""

from __future__ import annotations

import pytest

from scalejobs.protection.fake_agent import FakeAgent, Reply
from tests.conftest import wait_for
from tests.system.test_protection_workers import FAST, agent, ledger, processes, records, released, workers  # noqa: F401
from tests.testapp.protection_tasks import FINISHED, STARTED, hold

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
