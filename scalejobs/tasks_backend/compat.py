"""Find the Django Tasks framework: ``django.tasks`` (Django >= 6.0) or the backport.

The two have the same API under different module names (and the backport
suffixes two exception names with ``Error``). Everything the slice needs from
them is re-exported here under Django's names.

When neither is installed this module still imports: workers import every
module of ``scalejobs.tasks`` (django-dramatiq autodiscovers it), and a
project that never uses tasks must not need the framework. ``FRAMEWORK`` is
then ``None`` and the two base classes are stand-ins that refuse to be built,
naming the package to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

HINT = "Install it with `pip install 'scalejobs[tasks]'` (the django-tasks backport) or use Django >= 6.0."

try:
    from django.tasks import DEFAULT_TASK_QUEUE_NAME, Task, TaskContext, TaskResult, TaskResultStatus, task_backends
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import TaskError
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django.utils.json import normalize_json

    FRAMEWORK: str | None = "django.tasks"
except ImportError:
    try:
        from django_tasks import (  # type: ignore[assignment]
            DEFAULT_TASK_QUEUE_NAME,
            TaskContext,
            TaskResult,
            TaskResultStatus,
            task_backends,
        )
        from django_tasks.backends.base import BaseTaskBackend  # type: ignore[assignment]
        from django_tasks.base import Task, TaskError  # type: ignore[assignment]
        from django_tasks.exceptions import InvalidTaskError as InvalidTask  # type: ignore[assignment]
        from django_tasks.exceptions import TaskResultDoesNotExist  # type: ignore[assignment]
        from django_tasks.signals import task_enqueued, task_finished, task_started
        from django_tasks.utils import normalize_json

        FRAMEWORK = "django_tasks"
    except ImportError:
        FRAMEWORK = None
        # Only used inside functions, which never run without a framework.
        DEFAULT_TASK_QUEUE_NAME = "default"
        TaskContext = TaskResult = TaskResultStatus = TaskError = None  # type: ignore[assignment,misc]
        InvalidTask = TaskResultDoesNotExist = None  # type: ignore[assignment,misc]
        task_backends = task_enqueued = task_finished = task_started = normalize_json = None  # type: ignore[assignment]

        class BaseTaskBackend:  # type: ignore[no-redef]
            """Stand-in base class when no Tasks framework is installed; never built."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                raise ImproperlyConfigured(f"scalejobs.tasks.DramatiqBackend needs the Django Tasks framework. {HINT}")

        @dataclass(frozen=True, slots=True, kw_only=True)
        class Task:  # type: ignore[no-redef]
            """Stand-in task class when no Tasks framework is installed; never built."""

            def __post_init__(self) -> None:
                raise ImproperlyConfigured(f"Django tasks need the Django Tasks framework. {HINT}")


__all__ = [
    "DEFAULT_TASK_QUEUE_NAME",
    "FRAMEWORK",
    "HINT",
    "BaseTaskBackend",
    "InvalidTask",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "normalize_json",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
