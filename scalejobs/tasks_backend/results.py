"""Turn stored records into Django ``TaskResult`` values, and find tasks by path."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string

from ..conf import django_setting
from .compat import InvalidTask, Task, TaskError, TaskResult, TaskResultStatus
from .engine import TaskRecord, TaskSpec


def load_task(path: str) -> Task[..., Any]:
    """Return the task defined at ``path`` (``module.function``), or raise ``InvalidTask``."""
    try:
        found = import_string(path)
    except ImportError as error:
        raise InvalidTask(f"Task {path!r} cannot be imported: {error}") from error
    if not isinstance(found, Task):
        raise InvalidTask(f"{path!r} is not a task; decorate the function with @task.")
    return found


def task_of(spec: TaskSpec) -> Task[..., Any]:
    """Return the task of ``spec``, with the queue, backend and run_after it was sent with."""
    task = load_task(spec.task_path)
    return replace(
        task,
        backend=spec.backend,
        queue_name=spec.queue_name,
        priority=spec.priority,
        run_after=moment(spec.run_after),
    )


def task_result(task: Task[..., Any], record: TaskRecord) -> TaskResult[Any, Any]:
    """Return the ``TaskResult`` of ``task`` that ``record`` describes."""
    result = TaskResult(
        task=task,
        id=record.spec.id,
        status=TaskResultStatus(record.status),
        enqueued_at=moment(record.spec.enqueued_at),
        started_at=moment(record.started_at),
        finished_at=moment(record.finished_at),
        last_attempted_at=moment(record.last_attempted_at),
        args=record.spec.args,
        kwargs=record.spec.kwargs,
        backend=record.spec.backend,
        errors=[TaskError(exception_class_path=e.exception_class_path, traceback=e.traceback) for e in record.errors],
        worker_ids=list(record.worker_ids),
    )
    object.__setattr__(result, "_return_value", record.return_value)
    return result


def moment(seconds: float | None) -> dt.datetime | None:
    """Return the datetime of ``seconds`` since the epoch: aware, or naive local without USE_TZ."""
    if seconds is None:
        return None
    value = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    if not django_setting("USE_TZ", True):
        return timezone.make_naive(value)
    return value


def epoch(value: dt.datetime | None) -> float | None:
    """Return ``value`` as seconds since the epoch; a naive datetime is in the current time zone."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.timestamp()


def exception_path(error: BaseException) -> str:
    """Return the import path of ``error``'s class, as ``TaskError`` stores it."""
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}"
