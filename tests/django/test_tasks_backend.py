"""The Django Tasks backend in-process: enqueue, results, attempts, signals, checks.

The same module runs on Django 5.2 (the django-tasks backport) and on Django
>= 6.0 (``django.tasks``). Attempts are run here by calling the worker's code
on the sent message; ``tests/system/test_tasks_worker.py`` runs them in real
workers.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from scalejobs.tasks import ACTOR_NAME, DramatiqBackend, ScalejobsTask, task_runner
from scalejobs.tasks_backend import checks as task_checks
from scalejobs.tasks_backend.compat import (
    FRAMEWORK,
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
    task_enqueued,
    task_finished,
    task_started,
)
from scalejobs.tasks_backend.execution import execute, worker_id
from tests.conftest import ROOT
from tests.testapp import backend_tasks
from tests.testapp.backend_tasks import add, double_later, fail, fail_first_attempt, record, returns_a_set, with_context

READY, RUNNING, SUCCESSFUL, FAILED = (
    TaskResultStatus.READY,
    TaskResultStatus.RUNNING,
    TaskResultStatus.SUCCESSFUL,
    TaskResultStatus.FAILED,
)


@pytest.fixture
def signals():
    """Collect ``(signal, status, attempts)`` for every task signal sent in this process."""
    seen = []

    def receiver(sender, task_result, signal, **kwargs):
        name = {task_enqueued: "enqueued", task_started: "started", task_finished: "finished"}[signal]
        assert sender is DramatiqBackend
        seen.append((name, task_result.status, task_result.attempts))

    for signal in (task_enqueued, task_started, task_finished):
        signal.connect(receiver, dispatch_uid="test_tasks_backend")
    yield seen
    for signal in (task_enqueued, task_started, task_finished):
        signal.disconnect(dispatch_uid="test_tasks_backend")


def sent(redis_db, result_id, queue="default"):
    """Return the message of ``result_id`` as the broker stored it, from ``queue`` or its delay queue."""
    for name in (queue, f"{queue}.DQ"):
        for raw in redis_db.hvals(f"dramatiq:{name}.msgs"):
            message = dramatiq.Message.decode(raw)
            if message.message_id == result_id:
                return message
    return None


def attempt(redis_db, result, queue="default"):
    """Run one attempt of ``result``'s message as a worker would; return the raised exception, if any."""
    message = sent(redis_db, result.id, queue)
    try:
        execute(message, *message.args)
    except BaseException as error:  # the worker's own catch-all
        return error
    return None


def test_the_backend_declares_what_it_supports():
    backend = task_backends["default"]
    assert isinstance(backend, DramatiqBackend)
    assert (backend.supports_defer, backend.supports_async_task, backend.supports_get_result) == (True, True, True)
    assert backend.supports_priority is False


def test_enqueue_sends_one_runner_message_and_returns_a_ready_result(broker, redis_db, signals):
    result = add.enqueue(2, 3)
    assert (result.status, result.args, result.kwargs, result.backend, result.attempts) == (READY, [2, 3], {}, "default", 0)
    assert result.enqueued_at is not None and result.started_at is None
    message = sent(redis_db, result.id)
    assert (message.actor_name, message.queue_name) == (ACTOR_NAME, "default")
    assert message.args == ("tests.testapp.backend_tasks.add", [2, 3], {})
    assert message.options["max_retries"] == 0
    assert signals == [("enqueued", READY, 0)]
    stored = add.get_result(result.id)
    assert (stored.id, stored.status, stored.args, stored.task.func) == (result.id, READY, [2, 3], add.func)


def test_a_task_goes_to_its_own_queue(broker, redis_db):
    result = backend_tasks.record_on_exports.enqueue("x")
    assert sent(redis_db, result.id, "exports").queue_name == "exports"
    assert "exports" in broker.get_declared_queues()


def test_a_successful_attempt_stores_the_return_value_times_and_worker(broker, redis_db, signals):
    result = add.enqueue(2, 3)
    assert attempt(redis_db, result) is None
    result.refresh()
    assert (result.status, result.return_value, result.attempts, result.worker_ids) == (SUCCESSFUL, 5, 1, [worker_id()])
    assert result.enqueued_at <= result.started_at == result.last_attempted_at <= result.finished_at
    assert result.errors == []
    assert signals == [("enqueued", READY, 0), ("started", RUNNING, 1), ("finished", SUCCESSFUL, 1)]


def test_a_failed_attempt_stores_the_exception_class_and_traceback(broker, redis_db, signals):
    result = fail.enqueue("boom")
    error = attempt(redis_db, result)
    assert isinstance(error, ValueError)
    result = fail.get_result(result.id)
    assert (result.status, result.attempts, result.finished_at is not None) == (FAILED, 1, True)
    [recorded] = result.errors
    assert recorded.exception_class is ValueError
    assert recorded.traceback.endswith("ValueError: boom\n")
    assert 'in fail\n    raise ValueError(message)' in recorded.traceback
    with pytest.raises(ValueError, match="Task failed"):
        result.return_value
    assert signals[-1] == ("finished", FAILED, 1)


def test_a_failed_attempt_that_will_be_retried_is_ready_again_and_the_retry_sees_attempt_two(broker, redis_db, signals):
    result = fail_first_attempt.enqueue("t")
    message = sent(redis_db, result.id)
    assert (message.options["max_retries"], message.options["min_backoff"]) == (1, 10)
    assert isinstance(attempt(redis_db, result), RuntimeError)
    result.refresh()
    assert (result.status, result.attempts, result.finished_at, len(result.errors)) == (READY, 1, None, 1)
    assert [name for name, *_ in signals] == ["enqueued", "started"]
    retried = message.copy(options={**message.options, "retries": 1})
    execute(retried, *retried.args)
    result.refresh()
    assert (result.status, result.return_value, result.attempts, len(result.errors)) == (SUCCESSFUL, 2, 2, 1)


def test_a_task_taking_context_gets_its_result_and_attempt_number(broker, redis_db):
    result = with_context.enqueue(7)
    attempt(redis_db, result)
    assert with_context.get_result(result.id).return_value == {"attempt": 1, "id": result.id, "value": 7}


def test_an_async_task_runs_to_completion(broker, redis_db):
    result = double_later.enqueue(21)
    attempt(redis_db, result)
    assert double_later.get_result(result.id).return_value == 42


def test_a_return_value_json_cannot_carry_fails_the_task(broker, redis_db):
    result = returns_a_set.enqueue()
    assert isinstance(attempt(redis_db, result), TypeError)
    result.refresh()
    assert result.status == FAILED
    assert result.errors[0].exception_class is TypeError


def test_run_after_becomes_a_delay_and_is_kept_on_the_result(broker, redis_db):
    when = timezone.now() + dt.timedelta(minutes=5)
    result = add.using(run_after=when).enqueue(1, 1)
    message = sent(redis_db, result.id)
    assert message.queue_name == "default.DQ"
    assert abs(message.options["eta"] - when.timestamp() * 1000) < 1000
    assert abs(add.get_result(result.id).task.run_after - when) < dt.timedelta(milliseconds=1)
    assert redis_db.pttl(f"scalejobs:tasks:result:{result.id}") > 24 * 3600 * 1000


def test_run_after_in_the_past_runs_at_once(broker, redis_db):
    result = add.using(run_after=timezone.now() - dt.timedelta(hours=1)).enqueue(1, 1)
    assert sent(redis_db, result.id).queue_name == "default"


def test_a_naive_run_after_is_refused():
    with pytest.raises(InvalidTask, match="run_after must be an aware datetime"):
        add.using(run_after=dt.datetime(2030, 1, 1))


def test_priority_is_refused_because_dramatiq_has_no_per_message_priority():
    with pytest.raises(InvalidTask, match="does not support setting priority"):
        add.using(priority=10)


def test_an_unknown_queue_is_refused():
    with pytest.raises(InvalidTask, match="Queue 'nowhere' is not valid for backend"):
        add.using(queue_name="nowhere")


def test_an_argument_json_cannot_carry_fails_at_enqueue_naming_it(broker, redis_db):
    with pytest.raises(TypeError, match=r"^args\[1\]\['when'\]: datetime is not JSON serializable$"):
        add.enqueue(1, {"when": timezone.now()})
    assert redis_db.hlen("dramatiq:default.msgs") == 0


def test_a_function_that_is_not_module_level_is_refused():
    def local(value):
        return value

    with pytest.raises(InvalidTask, match="module level"):
        task_backends["default"].task_class(func=local)


def test_a_task_workers_cannot_import_by_its_path_is_refused_at_enqueue(broker, redis_db):
    stray = task_backends["default"].task_class(func=backend_tasks.not_a_task)
    with pytest.raises(InvalidTask, match=r"'tests.testapp.backend_tasks.not_a_task' is not a task"):
        stray.enqueue(1)
    assert redis_db.hlen("dramatiq:default.msgs") == 0


def test_an_unknown_result_id_does_not_exist(broker, redis_db):
    with pytest.raises(TaskResultDoesNotExist):
        add.get_result("no-such-id")


@pytest.mark.django_db(transaction=True)
def test_inside_atomic_the_task_is_sent_and_announced_only_after_commit(broker, redis_db, signals):
    with transaction.atomic():
        result = add.enqueue(1, 2)
        assert redis_db.hlen("dramatiq:default.msgs") == 0
        with pytest.raises(TaskResultDoesNotExist):
            add.get_result(result.id)
        assert signals == []
    assert sent(redis_db, result.id) is not None
    assert add.get_result(result.id).status == READY
    assert signals == [("enqueued", READY, 0)]


@pytest.mark.django_db(transaction=True)
def test_a_rollback_sends_nothing_and_leaves_no_result(broker, redis_db, signals):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            result = add.enqueue(1, 2)
            raise RuntimeError("rollback")
    assert redis_db.hlen("dramatiq:default.msgs") == 0
    with pytest.raises(TaskResultDoesNotExist):
        add.get_result(result.id)
    assert signals == []


@pytest.mark.django_db(transaction=True)
def test_on_commit_false_in_the_options_sends_at_once(broker, redis_db, settings):
    settings.TASKS = {"default": {**settings.TASKS["default"], "OPTIONS": {"ON_COMMIT": False}}}
    with transaction.atomic():
        result = add.enqueue(1, 2)
        assert sent(redis_db, result.id) is not None


def test_aenqueue_and_aget_result_work_from_async_code(broker, redis_db):
    async def scenario():
        result = await add.aenqueue(4, 5)
        return result, await add.aget_result(result.id)

    result, stored = async_to_sync(scenario)()
    assert (stored.id, stored.status) == (result.id, READY)
    attempt(redis_db, result)
    async_to_sync(result.arefresh)()
    assert result.return_value == 9


def test_results_are_kept_for_the_configured_ttl(broker, redis_db, settings):
    settings.TASKS = {"default": {**settings.TASKS["default"], "OPTIONS": {"RESULT_TTL": 120}}}
    result = record.enqueue("ttl")
    assert 0 < redis_db.pttl(f"scalejobs:tasks:result:{result.id}") <= 120_000
    attempt(redis_db, result)
    assert 0 < redis_db.pttl(f"scalejobs:tasks:result:{result.id}:workers") <= 120_000


def test_task_class_carries_scalejobs_options_as_job_and_message_options(broker, redis_db):
    unique = backend_tasks.unique_record
    assert isinstance(unique, ScalejobsTask)
    assert unique.job_options() == {"unique_for": 60}
    assert fail_first_attempt.message_options() == {"max_retries": 1, "min_backoff": 10, "max_backoff": 20}
    assert unique.using(queue_name="exports").unique_for == 60
    unprotected = ScalejobsTask(func=backend_tasks.not_a_task, protect=False)
    assert unprotected.message_options() == {"protect": False}


def test_protect_rides_on_the_message_where_ecs_protection_reads_it(broker, redis_db):
    unprotected = ScalejobsTask(func=backend_tasks.add.func, protect=False, time_limit=dt.timedelta(minutes=5))
    message = sent(redis_db, unprotected.enqueue(1, 2).id)
    assert (message.options["protect"], message.options["time_limit"]) == (False, 300_000)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"unique_for": -1}, "unique_for must be a positive number of seconds or a timedelta, got -1."),
        ({"unique_for": 5, "unique_until": "end"}, "unique_until must be 'success' or 'start', got 'end'."),
        ({"unique_key": str}, "unique_until and unique_key need unique_for, the lock's lifetime."),
        ({"max_retries": -1}, "max_retries must be an int >= 0, got -1."),
        ({"time_limit": 0}, "time_limit must be a positive number of milliseconds or a timedelta, got 0."),
    ],
)
def test_an_invalid_scalejobs_option_is_refused_when_the_task_is_built(options, message):
    with pytest.raises(InvalidTask) as raised:
        task_backends["default"].task_class(func=backend_tasks.not_a_task, **options)
    assert str(raised.value) == f"Task 'tests.testapp.backend_tasks.not_a_task': {message}"


def test_the_runner_gives_middleware_each_tasks_options_with_keys_on_the_task_arguments():
    message = task_runner.message_with_options(args=("tests.testapp.backend_tasks.unique_record", ["a"], {}))
    options = task_runner.options_for(message)
    assert options["unique_for"] == 60 and options["max_retries"] == 0
    plain = task_runner.message_with_options(args=("tests.testapp.backend_tasks.add", [1, 2], {}))
    assert "unique_for" not in task_runner.options_for(plain)


def test_the_runner_adapts_key_callables_and_scopes_keyless_limiters_to_the_task(monkeypatch):
    limiters = pytest.importorskip("scalejobs.throttle.limiters")
    from scalejobs.tasks_backend import runner as runner_module

    keyed = limiters.Concurrency(2, key=lambda tenant, **kwargs: f"tenant-{tenant}")
    keyless = limiters.Concurrency(3)
    task = ScalejobsTask(func=backend_tasks.not_a_task, unique_for=10, unique_key=lambda tenant: tenant, throttle=[keyed, keyless])
    monkeypatch.setattr(runner_module, "import_string", lambda path: task)
    runner_module._task_options.cache_clear()
    try:
        options = runner_module._task_options("app.tasks.export")
    finally:
        runner_module._task_options.cache_clear()
    assert options["unique_key"]("app.tasks.export", [7], {}) == "app.tasks.export:7"
    adapted_keyed, adapted_keyless = options["throttle"]
    assert adapted_keyed.claim("x", ("app.tasks.export", [7], {})).scope == "tenant-7"
    assert adapted_keyless.claim("x").scope == "app.tasks.export"


def test_a_unique_task_enqueued_twice_is_sent_once(broker, redis_db):
    first = backend_tasks.unique_record.enqueue("once")
    second = backend_tasks.unique_record.enqueue("once")
    assert second.id == first.id
    assert redis_db.hlen("dramatiq:default.msgs") == 1
    other = backend_tasks.unique_record.enqueue("other")
    assert other.id != first.id


def test_every_configured_queue_is_declared_on_the_broker(broker, settings):
    settings.TASKS = {"default": {"BACKEND": "scalejobs.tasks.DramatiqBackend", "QUEUES": ["default", "reports.slow"]}}
    fresh = StubBroker()
    task_checks.declare_queues(fresh)
    assert {"default", "reports.slow"} <= fresh.get_declared_queues()


def checks_of(**params):
    params = {"BACKEND": "scalejobs.tasks.DramatiqBackend", "QUEUES": ["default"], **params}
    with override_settings(TASKS={"default": params}):
        return [(message.id, message.msg) for message in DramatiqBackend("default", params).check()]


def test_a_sound_configuration_passes_the_checks():
    assert checks_of() == []


def test_bad_options_fail_the_checks_naming_the_option():
    assert checks_of(OPTIONS={"RESULT_TTL": 0}) == [
        ("scalejobs.E703", "TASKS['default']['OPTIONS']['RESULT_TTL']: expected a positive number of seconds, got 0.")
    ]
    assert checks_of(OPTIONS={"RESULT_TTLS": 5}) == [
        ("scalejobs.E703", "TASKS['default']['OPTIONS']['RESULT_TTLS']: is not an option of scalejobs.tasks.DramatiqBackend.")
    ]


def test_an_empty_queue_list_fails_the_checks():
    [(check_id, text)] = checks_of(QUEUES=[])
    assert check_id == "scalejobs.E704"
    assert text.startswith("TASKS['default']['QUEUES'] is empty, so Django accepts any queue name")


def test_a_queue_name_dramatiq_cannot_use_fails_the_checks():
    assert checks_of(QUEUES=["default", "no spaces"]) == [
        ("scalejobs.E705", "TASKS['default']['QUEUES'] holds 'no spaces', which is not a Dramatiq queue name.")
    ]


def test_a_broker_without_current_message_fails_the_checks(broker):
    broker.middleware[:] = [m for m in broker.middleware if type(m).__name__ != "CurrentMessage"]
    assert [check_id for check_id, _ in checks_of()] == ["scalejobs.E707"]


def test_the_scalejobs_checks_report_a_missing_framework(monkeypatch):
    monkeypatch.setattr(task_checks.compat, "FRAMEWORK", None)
    [error] = task_checks.check_tasks()
    assert error.id == "scalejobs.E701"
    assert error.msg == "TASKS names scalejobs.tasks.DramatiqBackend but no Django Tasks framework is installed."


@pytest.mark.skipif(FRAMEWORK != "django_tasks", reason="only the backport needs an app in INSTALLED_APPS")
def test_the_scalejobs_checks_want_the_backport_installed_as_an_app(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "django_tasks"]
    assert [error.id for error in task_checks.check_tasks()] == ["scalejobs.E702"]


def test_scalejobs_tasks_and_every_module_in_it_import_without_any_tasks_framework():
    script = textwrap.dedent(
        """
        import importlib, importlib.abc, os, pkgutil, sys

        class Missing(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name in ("django.tasks", "django_tasks") or name.startswith(("django.tasks.", "django_tasks.")):
                    raise ModuleNotFoundError(name)

        sys.meta_path.insert(0, Missing())
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        import django
        from django.conf import settings
        # The test settings, less the apps that need a tasks framework.
        settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a not in ("django_tasks", "tests.testapp")]
        django.setup()
        import scalejobs.tasks
        import scalejobs.tasks_backend
        # What rundramatiq does with an app's tasks module, and more: import every module of the backend.
        for module in pkgutil.walk_packages(scalejobs.tasks_backend.__path__, "scalejobs.tasks_backend."):
            importlib.import_module(module.name)
        from scalejobs.tasks import DramatiqBackend
        try:
            DramatiqBackend("default", {})
        except Exception as error:
            print(type(error).__name__, error)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ImproperlyConfigured scalejobs.tasks.DramatiqBackend needs the Django Tasks framework.")
    assert "pip install 'scalejobs[tasks]'" in done.stdout


def test_manage_py_check_runs_the_backend_checks(settings):
    settings.TASKS = {"default": {"BACKEND": "scalejobs.tasks.DramatiqBackend", "QUEUES": []}}
    with pytest.raises(SystemCheckError, match="scalejobs.E704"):
        call_command("check")
