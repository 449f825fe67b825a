"""The gaps issue 13 closed, in real rundramatiq workers against the fake ECS agent.

A job taken while the worker boots, a task ECS refuses to protect because it
is going away, ``protect="auto"``, and an agent that dribbles or floods its
answer. The scale-in storm has a module of its own (``test_protection_storm``).
"""

from __future__ import annotations

import pytest

from scalejobs.protection.fake_agent import FakeAgent
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
