"""Django ``@task`` functions run in real rundramatiq workers through ``DramatiqBackend``."""

import datetime as dt
import os
import socket

import pytest
from django.utils import timezone

from scalejobs.tasks_backend.compat import TaskResultStatus
from tests.conftest import wait_for
from tests.testapp import backend_tasks
from tests.testapp.backend_tasks import SIGNALS, double_later, fail, fail_first_attempt, hold, record, record_on_exports, unique_record

pytestmark = pytest.mark.system


def worker(start_worker):
    return start_worker("--processes", "1", "--threads", "2")


def status_of(result):
    result.refresh()
    return result.status


def finished(result):
    return status_of(result) in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


def signals_of(redis_db, result_id):
    entries = [raw.decode().split("|") for raw in redis_db.lrange(SIGNALS, 0, -1)]
    return [(name, status) for name, seen_id, status, _ in entries if seen_id == result_id]


def test_a_worker_runs_a_task_showing_running_then_successful_and_the_signals_fire(broker, redis_db, start_worker):
    worker(start_worker)
    result = hold.enqueue("t1")
    assert result.status == TaskResultStatus.READY
    wait_for(lambda: status_of(result) == TaskResultStatus.RUNNING, timeout=60)
    assert result.started_at is not None and result.finished_at is None
    with pytest.raises(ValueError, match="not finished yet"):
        result.return_value
    redis_db.set("tests:tasks:go:t1", 1)
    wait_for(lambda: finished(result), timeout=30)
    assert (result.status, result.return_value, result.attempts) == (TaskResultStatus.SUCCESSFUL, "held t1", 1)
    [worker_id] = result.worker_ids
    host, pid = worker_id.rsplit(":", 1)
    assert host == socket.gethostname() and int(pid) != os.getpid()
    assert result.enqueued_at <= result.started_at <= result.finished_at
    # task_enqueued fired here; task_started and task_finished in the worker.
    assert signals_of(redis_db, result.id) == [("enqueued", "READY"), ("started", "RUNNING"), ("finished", "SUCCESSFUL")]


def test_a_failing_task_ends_failed_with_its_exception_and_traceback(broker, redis_db, start_worker):
    worker(start_worker)
    result = fail.enqueue("no stock")
    wait_for(lambda: finished(result), timeout=60)
    assert (result.status, result.attempts) == (TaskResultStatus.FAILED, 1)
    [error] = result.errors
    assert error.exception_class is ValueError
    assert "raise ValueError(message)" in error.traceback and error.traceback.endswith("ValueError: no stock\n")
    wait_for(lambda: ("finished", "FAILED") in signals_of(redis_db, result.id), timeout=10)


def test_a_deferred_task_does_not_start_before_run_after(broker, redis_db, start_worker):
    worker(start_worker)
    run_after = timezone.now() + dt.timedelta(seconds=2)
    result = record.using(run_after=run_after).enqueue("deferred")
    now = record.enqueue("now")
    wait_for(lambda: finished(now), timeout=60)
    wait_for(lambda: finished(result), timeout=30)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.started_at >= run_after
    assert backend_tasks.ran() == ["now", "deferred"]


def test_an_async_task_and_a_task_on_another_queue_run(broker, redis_db, start_worker):
    worker(start_worker)
    doubled = double_later.enqueue(21)
    exported = record_on_exports.enqueue("on exports")
    wait_for(lambda: finished(doubled) and finished(exported), timeout=60)
    assert (doubled.status, doubled.return_value) == (TaskResultStatus.SUCCESSFUL, 42)
    assert (exported.status, exported.return_value) == (TaskResultStatus.SUCCESSFUL, "on exports")


def test_a_retried_task_knows_its_attempt_and_ends_successful(broker, redis_db, start_worker):
    worker(start_worker)
    result = fail_first_attempt.enqueue("retry")
    wait_for(lambda: finished(result), timeout=60)
    assert (result.status, result.return_value, result.attempts, len(result.errors)) == (TaskResultStatus.SUCCESSFUL, 2, 2, 1)
    assert result.errors[0].exception_class is RuntimeError


def test_a_unique_task_enqueued_twice_runs_once(broker, redis_db, start_worker):
    first = unique_record.enqueue("once")
    second = unique_record.enqueue("once")
    assert second.id == first.id
    worker(start_worker)
    wait_for(lambda: finished(first), timeout=60)
    after = record.enqueue("after")
    wait_for(lambda: finished(after), timeout=30)
    assert backend_tasks.ran() == ["once", "after"]
