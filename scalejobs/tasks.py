"""Run Django's ``@task`` functions on Dramatiq workers: ``scalejobs.tasks.DramatiqBackend``.

Configure it as a Django task backend::

    TASKS = {"default": {"BACKEND": "scalejobs.tasks.DramatiqBackend", "QUEUES": ["default"]}}

django-dramatiq imports every app's ``tasks`` module in each worker, and every
module inside it when it is a package; this is one module (the backend lives in
``scalejobs.tasks_backend``), so a worker starts with one "Discovered tasks
module" line for scalejobs, and importing it declares the actor that runs every
task. It imports without either tasks framework; the backend loads on first use.
"""

from __future__ import annotations

from typing import Any

from . import tasks_backend
from .tasks_backend import ACTOR_NAME, task_runner

__all__ = ["ACTOR_NAME", "DramatiqBackend", "ScalejobsTask", "task_runner"]


def __getattr__(name: str) -> Any:
    if name in ("DramatiqBackend", "ScalejobsTask"):
        return getattr(tasks_backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
