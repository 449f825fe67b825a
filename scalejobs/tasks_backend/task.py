"""``ScalejobsTask``: a Django ``Task`` that also carries scalejobs job options.

It is ``DramatiqBackend.task_class``, so on Django >= 6.1 (and the django-tasks
backport >= 0.12) ``@task(unique_for=60, throttle=..., protect=False)``
builds one. The options mean what they mean on ``@scalejobs.job``:

- scalejobs options (``unique_for``, ``unique_until``, ``unique_key``,
  ``throttle``, ``protect``) are read by the scalejobs middleware through
  the task runner's ``options_for`` (see ``scalejobs/tasks_backend/runner.py``);
  ``protect`` also rides on each message, where ``ECSProtection`` reads it;
- Dramatiq options (``max_retries``, ``time_limit``, ``max_age``,
  ``min_backoff``, ``max_backoff``; milliseconds, or a ``timedelta``) ride on
  each message, where Dramatiq's own middleware reads them first;
- ``on_commit`` overrides the backend's ``ON_COMMIT`` for this task;
- ``encrypt=True`` keeps the task's arguments (and its result record's)
  encrypted in Redis, as ``@scalejobs.job(encrypt=True)`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..jobs import ENCRYPT
from .compat import Task

# Options the scalejobs middleware read, by the names @scalejobs.job uses.
JOB_OPTIONS = ("unique_for", "unique_until", "unique_key", "throttle", "protect")
# Options carried on every message of the task, where their middleware reads them first.
MESSAGE_OPTIONS = ("max_retries", "time_limit", "max_age", "min_backoff", "max_backoff")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalejobsTask(Task):  # type: ignore[type-arg]  # Task need not be subscriptable at run time
    """A task with scalejobs options; ``None`` leaves an option to its default."""

    unique_for: float | dt.timedelta | None = None
    unique_until: str | None = None
    unique_key: Callable[..., object] | None = None
    throttle: Any = None
    protect: bool | None = None
    max_retries: int | None = None
    time_limit: int | dt.timedelta | None = None
    max_age: int | dt.timedelta | None = None
    min_backoff: int | dt.timedelta | None = None
    max_backoff: int | dt.timedelta | None = None
    on_commit: bool | str | None = None
    encrypt: bool | None = None

    def job_options(self) -> dict[str, Any]:
        """Return the scalejobs options this task sets, as ``@scalejobs.job`` would take them."""
        return {name: getattr(self, name) for name in JOB_OPTIONS if getattr(self, name) is not None}

    def message_options(self) -> dict[str, int | bool]:
        """Return the options this task's messages carry, JSON-safe (durations in ms)."""
        options: dict[str, int | bool] = {}
        for name in MESSAGE_OPTIONS:
            value = getattr(self, name)
            if isinstance(value, dt.timedelta):
                value = int(value.total_seconds() * 1000)
            if value is not None:
                options[name] = value
        if self.protect is not None:
            options["protect"] = self.protect
        if self.encrypt:
            options[ENCRYPT] = True
        return options

    def option_errors(self) -> list[str]:
        """Return one sentence per option with a value no worker could use."""
        errors = []
        if self.unique_for is not None and not _positive(self.unique_for):
            errors.append(f"unique_for must be a positive number of seconds or a timedelta, got {self.unique_for!r}.")
        if self.unique_until not in (None, "success", "start"):
            errors.append(f"unique_until must be 'success' or 'start', got {self.unique_until!r}.")
        if self.unique_key is not None and not callable(self.unique_key):
            errors.append(f"unique_key must be a callable taking the task's arguments, got {self.unique_key!r}.")
        if self.unique_for is None and (self.unique_until is not None or self.unique_key is not None):
            errors.append("unique_until and unique_key need unique_for, the lock's lifetime.")
        if self.protect is not None and not isinstance(self.protect, bool):
            errors.append(f"protect must be True or False, got {self.protect!r}.")
        if self.encrypt is not None and not isinstance(self.encrypt, bool):
            errors.append(f"encrypt must be True or False, got {self.encrypt!r}.")
        if self.max_retries is not None and (isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0):
            errors.append(f"max_retries must be an int >= 0, got {self.max_retries!r}.")
        for name in MESSAGE_OPTIONS[1:]:
            value = getattr(self, name)
            if value is not None and not _positive(value):
                errors.append(f"{name} must be a positive number of milliseconds or a timedelta, got {value!r}.")
        if not (self.on_commit is None or isinstance(self.on_commit, bool) or (isinstance(self.on_commit, str) and self.on_commit)):
            errors.append(f"on_commit must be True, False, a database alias or None, got {self.on_commit!r}.")
        return errors


def _positive(value: Any) -> bool:
    if isinstance(value, dt.timedelta):
        return value.total_seconds() > 0
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0
