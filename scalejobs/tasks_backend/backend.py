"""``DramatiqBackend``: a Django Tasks backend that runs tasks on Dramatiq workers.

Enqueueing sends one message of the task runner actor (``runner.py``) to the
task's queue, through ``scalejobs.jobs.enqueue``: arguments are checked to be
JSON-safe, and inside ``transaction.atomic()`` the message waits for the
commit. The result is created READY once the message is sent; the worker moves
it through RUNNING to SUCCESSFUL or FAILED (``execution.py``), and
``get_result`` reads it back from Redis (``engine.py``) in any process.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from collections.abc import Mapping, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from ..conf import get_settings
from ..errors import EnqueueVeto
from ..jobs import ENCRYPT, check_arguments, enqueue
from ..kernel.hooks import enqueue_hooks
from ..store import keyspace, redis_client
from . import checks as task_checks
from .compat import (
    BaseTaskBackend,
    InvalidTask,
    Task,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_enqueued,
)
from .engine import TaskRecord, TaskResults, TaskSpec
from .options import BackendOptions, backend_options
from .results import epoch, load_task, task_of, task_result
from .runner import SENT, task_runner
from .sealing import opened_spec, sealed_spec
from .task import ScalejobsTask


class DramatiqBackend(BaseTaskBackend):
    """Run Django tasks on Dramatiq workers; results live in Redis."""

    task_class = ScalejobsTask

    # Can a task be enqueued with run_after? Yes: it becomes a Dramatiq delay.
    supports_defer = True
    # Can the task function be a coroutine? Yes: the worker runs it to completion.
    supports_async_task = True
    # Can results be fetched from any process? Yes: they are kept in Redis for RESULT_TTL.
    supports_get_result = True
    # Are tasks run in priority order? No: Dramatiq has no per-message priority;
    # give urgent tasks their own queue and workers instead.
    supports_priority = False

    @functools.cached_property
    def config(self) -> BackendOptions:
        """Return this alias's validated ``OPTIONS``; raises ``ConfigurationError``."""
        return backend_options(self.alias, self.options)

    @property
    def results(self) -> TaskResults:
        """Return the store of task results, on the scalejobs Redis."""
        return TaskResults(redis_client(), keyspace("tasks"))

    def validate_task(self, task: Task[..., Any]) -> None:
        """Refuse a task Django would refuse, or one with an option no worker could use."""
        super().validate_task(task)
        option_errors = getattr(task, "option_errors", None)
        if option_errors is not None:
            errors = option_errors()
            if errors:
                raise InvalidTask(f"Task {task.module_path!r}: {errors[0]}")

    # The stubs tie the result to the task's own parameters; a backend takes every task.
    def enqueue(self, task: Task[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> TaskResult[..., Any]:  # type: ignore[override]
        """Send ``task`` to a worker; return its READY result (sent at commit inside atomic)."""
        self.validate_task(task)
        _check_importable(task)
        args, kwargs = list(args), dict(kwargs)
        check_arguments(args, kwargs)
        now = timezone.now()
        run_after = epoch(task.run_after)
        delay = None if run_after is None else max(0.0, run_after - now.timestamp())
        using = self._commit_alias(task)
        options: dict[str, Any] = {"max_retries": self.config.max_retries}
        if isinstance(task, ScalejobsTask):
            options.update(task.message_options())
        options[SENT] = {"backend": self.alias, "run_after": run_after}
        if options.get(ENCRYPT):
            # The message's arguments, task path included, are sealed; policies look the task up here.
            options[SENT]["task"] = task.module_path
        envelope = (task.module_path, args, kwargs)
        message = enqueue(
            task_runner, envelope, delay=delay or None, on_commit=using or False, options=options, queue_name=task.queue_name
        )
        if message is None:
            return self._duplicate_of(task, envelope, options)
        spec = TaskSpec(
            id=message.message_id,
            task_path=task.module_path,
            backend=self.alias,
            queue_name=task.queue_name,
            priority=task.priority,
            run_after=run_after,
            args=args,
            kwargs=kwargs,
            enqueued_at=now.timestamp(),
        )
        result = task_result(task, _ready(spec))
        if options.get(ENCRYPT):
            spec = sealed_spec(spec)
        ttl = self.config.result_ttl + (delay or 0)

        def announce() -> None:
            self.results.enqueued(spec, ttl=ttl)
            task_enqueued.send(type(self), task_result=result)

        if using is not None and transaction.get_connection(using).in_atomic_block:
            # Registered after the send, so it runs after it, and not at all on a rollback.
            transaction.on_commit(announce, using=using)
        else:
            announce()
        return result

    def _duplicate_of(self, task: Task[..., Any], envelope: tuple[Any, ...], options: dict[str, Any]) -> TaskResult[..., Any]:
        """Return the result of the message whose unique lock made ``enqueue`` drop this one."""
        probe = task_runner.message_with_options(args=envelope, **options).copy(queue_name=task.queue_name)
        for middleware in enqueue_hooks(task_runner.broker.middleware).checks:
            try:
                middleware.check_enqueue(task_runner.broker, probe)
            except EnqueueVeto as veto:
                holder = getattr(veto, "holder", None)
                if holder is not None:
                    return self.get_result(holder)
        raise EnqueueVeto(f"Task {task.module_path!r} was not sent: a middleware dropped it as a duplicate.")

    def get_result(self, result_id: str) -> TaskResult[..., Any]:
        """Return the result ``result_id`` as stored now; raise ``TaskResultDoesNotExist`` if none."""
        record = self.results.get(result_id)
        if record is None:
            raise TaskResultDoesNotExist(result_id)
        record = replace(record, spec=opened_spec(record.spec))
        return task_result(task_of(record.spec), record)

    async def aget_result(self, result_id: str) -> TaskResult[..., Any]:
        """See ``get_result``; reads Redis in a thread, since it touches no database."""
        return await sync_to_async(self.get_result, thread_sensitive=False)(result_id)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        """Check this alias's queues, options and broker (ids ``scalejobs.E7xx``)."""
        return list(task_checks.check_backend(self.alias, self.queues, self.options))

    def _commit_alias(self, task: Task[..., Any]) -> str | None:
        on_commit = getattr(task, "on_commit", None)
        if on_commit is None:
            on_commit = self.config.on_commit
        if on_commit is None:
            on_commit = get_settings().on_commit
        if on_commit is True:
            return DEFAULT_DB_ALIAS
        return on_commit or None


def _check_importable(task: Task[..., Any]) -> None:
    try:
        found = load_task(task.module_path)
    except InvalidTask as error:
        raise InvalidTask(f"{error} Workers import tasks by path; define the task at module level.") from None
    if found.func is not task.func:
        raise InvalidTask(
            f"{task.module_path!r} does not name this task; workers import tasks by path, "
            "so the @task function must be a module attribute under its own name."
        )


def _ready(spec: TaskSpec) -> TaskRecord:
    return TaskRecord(
        spec=spec,
        status=TaskResultStatus.READY.value,
        started_at=None,
        last_attempted_at=None,
        finished_at=None,
        return_json=None,
        errors=(),
        worker_ids=(),
    )

