"""Batches in real rundramatiq workers: exactly-once callbacks under SIGKILLs, nesting, and jobs that add to their own batch."""

from __future__ import annotations

import json

import pytest

import scalejobs
from tests.conftest import run_scenario, wait_for
from tests.testapp.batch_tasks import RAN, callbacks, fan_out, nest, on_complete, on_success, row

pytestmark = pytest.mark.system

# Only a guard against a hang; the short scenario takes well under a minute.
HANG_GUARD_SECONDS = 300


@pytest.fixture
def worker(start_worker, broker):
    return start_worker("--processes", "1", "--threads", "4", "--queues", "batch", "default")


def kinds(batch_id: str) -> list[str]:
    return sorted(kind for kind, *_ in callbacks(batch_id))


def test_callbacks_run_exactly_once_and_status_equals_reality_while_workers_are_sigkilled():
    report = run_scenario("tests.system.batch_chaos", "--short", timeout=HANG_GUARD_SECONDS)
    print(json.dumps(report["rounds"], indent=2))

    assert report["failures"] == []
    failing, succeeding = report["rounds"]
    assert failing["kills"] == 2
    assert failing["callback messages"] == {"complete": 1, "success": 0, "death": 1}
    assert (failing["status"]["succeeded"], failing["status"]["dead"]) == (990, 10)
    assert succeeding["callback messages"] == {"complete": 1, "success": 1, "death": 0}


def test_a_job_that_adds_to_its_own_batch_keeps_it_open_until_the_added_jobs_ran(worker, redis_db):
    with scalejobs.Batch("fan out", on_success=on_success, on_complete=on_complete) as batch:
        fan_out.perform_later("fan", 5)

    wait_for(lambda: kinds(batch.id) == ["complete", "success"], timeout=60)
    status = scalejobs.Batch.status(batch.id)
    assert (status.total, status.succeeded, status.pending) == (6, 6, 0)
    assert redis_db.scard(RAN) == 6
    (complete,) = [found for kind, _, found, _ in callbacks(batch.id) if kind == "complete"]
    assert (complete["total"], complete["succeeded"]) == (6, 6)


def test_a_child_batch_finishes_before_its_parent_and_counts_as_one_job_of_it(worker, redis_db):
    with scalejobs.Batch("parent", on_complete=on_complete) as parent:
        row.perform_later("parent row")
        nest.perform_later("nested", 3)

    wait_for(lambda: kinds(parent.id) == ["complete"], timeout=60)
    status = scalejobs.Batch.status(parent.id)
    assert (status.total, status.succeeded) == (3, 3)  # the row, the nest job and its child batch
    children = scalejobs.batch.engine_from_settings().children(parent.id)
    assert len(children) == 1
    child = scalejobs.Batch.status(children[0])
    assert (child.total, child.succeeded, child.parent) == (3, 3, parent.id)
    assert child.finished_at <= status.finished_at
    assert kinds(children[0]) == ["complete"]


def test_throttled_jobs_postponed_and_a_dropped_unique_duplicate_leave_the_counts_right(start_worker, broker, redis_db):
    from tests.testapp.throttle_tasks import concurrency_probe
    from tests.testapp.unique_tasks import unique_record

    start_worker("--processes", "1", "--threads", "8", "--queues", "batch", "throttle", "unique")
    with scalejobs.Batch("guarded", on_success=on_success, on_complete=on_complete) as batch:
        for index in range(6):
            concurrency_probe.perform_later(f"probe-{index}", 0.5)
        assert unique_record.perform_later("once") is not None
        assert unique_record.perform_later("once") is None  # a duplicate: dropped, so not a job of the batch

    wait_for(lambda: kinds(batch.id) == ["complete", "success"], timeout=90)
    status = scalejobs.Batch.status(batch.id)
    assert (status.total, status.succeeded, status.failed, status.pending) == (7, 7, 0, 0)


def test_encrypted_and_ecs_protected_jobs_of_a_batch_run_and_complete_it(start_worker, broker, redis_db):
    from scalejobs.testing.ecs_agent import FakeAgent
    from tests.testapp.encryption_tasks import SEALED_RAN, sealed_record
    from tests.testapp.protection_tasks import FINISHED, hold

    with FakeAgent() as agent:
        start_worker("--processes", "1", "--threads", "4", "--queues", "batch", "default", env=agent.environ())
        with scalejobs.Batch("sealed and protected", on_success=on_success, on_complete=on_complete) as batch:
            sealed_record.perform_later("the secret", note="in a batch")
            hold.perform_later("protected", 1.0)

        wait_for(lambda: kinds(batch.id) == ["complete", "success"], timeout=90)
        assert any(call.enabled for call in agent.puts()), "the long job of the batch ran unprotected"
    assert [json.loads(raw)["args"] for raw in redis_db.lrange(SEALED_RAN, 0, -1)] == [["the secret"]]
    assert redis_db.llen(FINISHED) == 1
    status = scalejobs.Batch.status(batch.id)
    assert (status.total, status.succeeded) == (2, 2)
