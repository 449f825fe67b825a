"""The one Dramatiq actor that runs every Django task, and what its messages hold.

A task's message is ``scalejobs_run_task(task_path, args, kwargs)`` on the
task's queue: the worker imports the task by its path, so a task runs in any
worker that can import it, whichever module defines it. The message id is
the ``TaskResult`` id. Option ``scalejobs_task`` holds how the task was sent
(backend alias, ``run_after``); Dramatiq options (``max_retries``, ...) sit
beside it, where Dramatiq's middleware reads them.

This module imports neither Django's Tasks framework nor the backport: workers
import it (django-dramatiq autodiscovers ``scalejobs.tasks``) even in projects
that do not use tasks.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

import dramatiq
from django.utils.module_loading import import_string
from dramatiq.middleware import CurrentMessage

from ..errors import UndecryptableArguments
from ..jobs import Job

ACTOR_NAME = "scalejobs_run_task"
# Message option with how the task was sent: {"backend": alias, "run_after": epoch seconds | None}.
SENT = "scalejobs_task"


class TaskRunner(Job):
    """The actor of every Django task; its per-message options come from the task."""

    # JOIN POINT with the scalejobs middleware. One actor runs every task, so
    # its ``actor.options`` cannot hold a task's ``unique_for=`` or
    # ``throttle=``. A middleware that reads job options from
    # ``broker.get_actor(name).options`` (Unique and Throttle, in their
    # ``_policy``) should call ``actor.options_for(message)`` when the actor
    # has it, and cache per (actor name, ``message.args[0]``) rather than per
    # actor name. The options returned are the actor's own plus the task's;
    # every callable (``unique_key``, a limiter's ``key``) is adapted to take
    # the message's arguments ``(task_path, args, kwargs)``, a unique key is
    # prefixed with the task path (as the actor name prefixes it for
    # ``@scalejobs.job``), and a limiter without a key is scoped to the task
    # path (as it is scoped to the job name). ``protect`` and ``time_limit``
    # need no join: they also ride on the message, where ECSProtection reads
    # them first.
    def options_for(self, message: dramatiq.Message[Any]) -> Mapping[str, Any]:
        """Return the options that govern ``message``: this actor's, then its task's."""
        path = self.task_path(message)
        if message.actor_name != self.actor_name or not path:
            return self.options
        return {**self.options, **_task_options(path)}

    def task_path(self, message: dramatiq.Message[Any]) -> str:
        """Return the path of the task ``message`` runs; an encrypted task's message carries it in clear in ``SENT``."""
        if message.args:
            return str(message.args[0])
        return str((message.options.get(SENT) or {}).get("task", ""))


def run_task(task_path: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Run the task at ``task_path`` with ``args`` and ``kwargs``, recording its result."""
    message = CurrentMessage.get_current_message()
    if message is None:
        raise RuntimeError(
            f"{ACTOR_NAME}: no current message; add 'dramatiq.middleware.CurrentMessage' to "
            "DRAMATIQ_BROKER['MIDDLEWARE'] (scalejobs.middleware.DEFAULT_STACK has it)."
        )
    from .execution import execute

    execute(message, task_path, args, kwargs)


# An encrypted task that no key decrypts is dead-lettered at once, whatever its max_retries.
task_runner = cast(
    TaskRunner, dramatiq.actor(actor_class=TaskRunner, actor_name=ACTOR_NAME, max_retries=0, throws=(UndecryptableArguments,))(run_task)
)


@functools.lru_cache(maxsize=1024)
def _task_options(task_path: str) -> Mapping[str, Any]:
    try:
        task = import_string(task_path)
    except ImportError:
        return {}
    job_options = getattr(task, "job_options", None)
    if job_options is None:
        return {}
    return {name: _adapt(name, value, task_path) for name, value in job_options().items()}


def _adapt(name: str, value: Any, task_path: str) -> Any:
    if name == "unique_key":
        return _on_task_arguments(value, prefix=f"{task_path}:")
    if name == "throttle":
        if isinstance(value, (list, tuple)):
            return type(value)(_scoped(limiter, task_path) for limiter in value)
        return _scoped(value, task_path)
    return value


def _scoped(limiter: Any, task_path: str) -> Any:
    key = getattr(limiter, "key", None)
    if key is None:
        return replace(limiter, key=task_path)
    if callable(key):
        return replace(limiter, key=_on_task_arguments(key))
    return limiter


def _on_task_arguments(function: Any, *, prefix: str = "") -> Any:
    @functools.wraps(function)
    def call(task_path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        value = function(*args, **kwargs)
        return f"{prefix}{value}" if prefix else value

    return call
