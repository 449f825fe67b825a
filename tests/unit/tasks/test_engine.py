"""The task-results engine against a real Redis, with the clock held still."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import redis

from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.tasks_backend.engine import FAILED, READY, RUNNING, SUCCESSFUL, RecordedError, TaskResults, TaskSpec

KEY = "test:tasks:result:r1"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_700_000_000.0)


@pytest.fixture
def results(redis_db: redis.Redis, clock: FrozenClock) -> TaskResults:
    return TaskResults(redis_db, KeySpace("test", "tasks"), clock=clock)


def spec(**changes) -> TaskSpec:
    values = dict(
        id="r1",
        task_path="app.tasks.add",
        backend="default",
        queue_name="default",
        priority=0,
        run_after=None,
        args=[1, [2, 3]],
        kwargs={"x": {"y": None}},
        enqueued_at=1_699_999_990.5,
    )
    values.update(changes)
    return TaskSpec(**values)


def test_an_unknown_id_has_no_record(results: TaskResults) -> None:
    assert results.get("nope") is None


def test_enqueue_creates_a_ready_record_with_the_spec(results: TaskResults) -> None:
    results.enqueued(spec(), ttl=60)
    record = results.get("r1")
    assert record.spec == spec()
    assert (record.status, record.started_at, record.finished_at, record.worker_ids, record.errors) == (READY, None, None, (), ())


def test_start_marks_running_and_counts_attempts_by_worker(results: TaskResults, clock: FrozenClock) -> None:
    results.enqueued(spec(), ttl=60)
    first = results.started(spec(), worker_id="host-a:1", ttl=60)
    assert (first.status, first.started_at, first.last_attempted_at, first.worker_ids) == (
        RUNNING,
        clock.now,
        clock.now,
        ("host-a:1",),
    )
    clock.advance(5)
    second = results.started(spec(), worker_id="host-b:2", ttl=60)
    assert second.started_at == clock.now - 5
    assert second.last_attempted_at == clock.now
    assert second.worker_ids == ("host-a:1", "host-b:2")


def test_success_stores_the_return_value_and_the_finish_time(results: TaskResults, clock: FrozenClock) -> None:
    results.started(spec(), worker_id="w:1", ttl=60)
    clock.advance(2)
    record = results.finished(spec(), status=SUCCESSFUL, ttl=60, return_json=json.dumps({"n": [1, 2]}))
    assert (record.status, record.finished_at, record.return_value) == (SUCCESSFUL, clock.now, {"n": [1, 2]})


def test_a_failed_attempt_keeps_every_error_in_order(results: TaskResults) -> None:
    results.started(spec(), worker_id="w:1", ttl=60)
    results.finished(spec(), status=READY, ttl=60, error=RecordedError(exception_class_path="builtins.KeyError", traceback="tb1"))
    ready = results.get("r1")
    assert (ready.status, ready.finished_at) == (READY, None)
    results.started(spec(), worker_id="w:1", ttl=60)
    record = results.finished(spec(), status=FAILED, ttl=60, error=RecordedError(exception_class_path="builtins.ValueError", traceback="tb2"))
    assert record.status == FAILED and record.finished_at is not None
    assert [e.exception_class_path for e in record.errors] == ["builtins.KeyError", "builtins.ValueError"]
    assert record.return_value is None


def test_an_enqueue_arriving_after_the_worker_never_rolls_the_state_back(results: TaskResults) -> None:
    results.started(spec(enqueued_at=1.0), worker_id="w:1", ttl=60)
    results.finished(spec(), status=SUCCESSFUL, ttl=60, return_json="3")
    results.enqueued(spec(enqueued_at=2.0), ttl=60)
    record = results.get("r1")
    assert record.status == SUCCESSFUL
    assert record.spec.enqueued_at == 1.0


def test_a_worker_recreates_a_record_it_cannot_find(results: TaskResults) -> None:
    record = results.finished(spec(), status=FAILED, ttl=60, error=RecordedError(exception_class_path="x.Y", traceback=""))
    assert (record.spec, record.status) == (spec(), FAILED)


def test_every_key_expires_ttl_after_the_end(results: TaskResults, redis_db: redis.Redis) -> None:
    results.enqueued(spec(), ttl=1000)
    results.started(spec(), worker_id="w:1", ttl=1000)
    results.finished(spec(), status=FAILED, ttl=30, error=RecordedError(exception_class_path="x.Y", traceback=""))
    for key in (KEY, f"{KEY}:workers", f"{KEY}:errors"):
        assert 29_000 < redis_db.pttl(key) <= 30_000, key


def test_a_delayed_enqueue_is_kept_until_the_longer_ttl(results: TaskResults, redis_db: redis.Redis) -> None:
    results.enqueued(spec(), ttl=500)
    results.enqueued(spec(), ttl=10)
    assert redis_db.pttl(KEY) > 400_000
    results.started(spec(), worker_id="w:1", ttl=10)
    assert redis_db.pttl(KEY) > 400_000


def test_finish_refuses_a_status_that_does_not_end_an_attempt(results: TaskResults) -> None:
    with pytest.raises(ValueError, match="status: 'RUNNING' does not end an attempt"):
        results.finished(spec(), status=RUNNING, ttl=60)


def test_every_lua_script_ships_in_the_package() -> None:
    scripts = {path.name for path in resources.files("scalejobs.tasks_backend").joinpath("lua").iterdir()}
    assert {"enqueue.lua", "start.lua", "finish.lua"} <= scripts
