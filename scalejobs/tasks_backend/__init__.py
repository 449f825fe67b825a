"""Run Django's ``@task`` functions on Dramatiq workers: ``scalejobs.tasks.DramatiqBackend``.

The code lives in this package; ``scalejobs.tasks`` is the public name.

Configure it as a Django task backend::

    TASKS = {"default": {"BACKEND": "scalejobs.tasks.DramatiqBackend", "QUEUES": ["default"]}}

It works with ``django.tasks`` (Django >= 6.0) and with the ``django_tasks``
backport (Django 5.2, ``pip install 'scalejobs[tasks]'``).

Its modules import without either framework. Importing ``runner`` (which
``scalejobs.tasks`` and ``AppConfig.ready`` do) declares the actor that runs
every task; the package itself declares nothing, so the slice registry can
read ``slice.py`` before the broker exists. Its public names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public names loaded on first use, by module.
_LAZY = {
    "ACTOR_NAME": ".runner",
    "task_runner": ".runner",
    "DramatiqBackend": ".backend",
    "ScalejobsTask": ".task",
}

__all__ = ["ACTOR_NAME", "DramatiqBackend", "ScalejobsTask", "task_runner"]


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(module, __name__), name)
