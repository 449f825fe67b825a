"""System checks of the tasks backend (ids ``scalejobs.E7xx``), and the queues it declares.

A task queue is *declared* when it is listed in ``QUEUES`` of a
``DramatiqBackend`` alias in ``TASKS``: scalejobs declares every such queue on
the Dramatiq broker in every process, web and worker, when Django starts
(``declare_queues``, called from ``AppConfig.ready``). Django refuses a task
whose queue is not listed, so a task can only be sent to a queue every worker
consumes (unless ``rundramatiq --queues`` narrows it). The checks catch what
would otherwise leave messages stuck: an empty ``QUEUES`` (Django then
accepts any queue name, which no worker declared), a name Dramatiq cannot
use, and a broker that cannot run tasks.

These checks read configuration only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dramatiq
from django.core import checks
from django.utils.module_loading import import_string
from dramatiq.middleware import CurrentMessage

from ..conf import django_setting
from ..errors import ConfigurationError
from . import compat
from .options import backend_options

BACKEND_PATH = "scalejobs.tasks.DramatiqBackend"
# The queue names Dramatiq accepts.
QUEUE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9._-]*")
CURRENT_MESSAGE = "dramatiq.middleware.CurrentMessage"


def dramatiq_aliases() -> dict[str, dict[str, Any]]:
    """Return the ``TASKS`` entries whose backend is ``DramatiqBackend`` (or a subclass), by alias."""
    configured = django_setting("TASKS") or {}
    found = {}
    for alias, params in configured.items():
        if isinstance(params, Mapping) and _is_ours(params.get("BACKEND")):
            found[alias] = dict(params)
    return found


def declare_queues(broker: dramatiq.Broker | None = None) -> None:
    """Declare every queue of every ``DramatiqBackend`` alias on ``broker``."""
    broker = broker or dramatiq.get_broker()
    for params in dramatiq_aliases().values():
        for queue in params.get("QUEUES", ["default"]):
            if isinstance(queue, str) and QUEUE_NAME.fullmatch(queue):
                broker.declare_queue(queue)


def check_tasks() -> Iterator[checks.CheckMessage]:
    """Check what the backend's own ``check()`` cannot: that Django can load it at all."""
    if not dramatiq_aliases():
        return
    if compat.FRAMEWORK is None:
        yield checks.Error(
            f"TASKS names {BACKEND_PATH} but no Django Tasks framework is installed.",
            hint=compat.HINT,
            obj="settings.TASKS",
            id="scalejobs.E701",
        )
    elif compat.FRAMEWORK == "django_tasks" and "django_tasks" not in _installed_apps():
        yield checks.Error(
            "'django_tasks' is not in INSTALLED_APPS; the backport registers its checks and signals there.",
            hint="Add 'django_tasks' to INSTALLED_APPS.",
            obj="settings.INSTALLED_APPS",
            id="scalejobs.E702",
        )


def check_backend(alias: str, queues: Iterable[str], options: Any) -> Iterator[checks.CheckMessage]:
    """Check one ``DramatiqBackend`` alias: its options, queues and broker."""
    where = f"settings.TASKS[{alias!r}]"
    try:
        backend_options(alias, options)
    except ConfigurationError as error:
        yield checks.Error(str(error), hint=error.hint, obj=where, id="scalejobs.E703")
    queues = sorted(queues)
    if not queues:
        yield checks.Error(
            f"TASKS[{alias!r}]['QUEUES'] is empty, so Django accepts any queue name, and no worker consumes "
            "a queue it did not declare.",
            hint=f"List every queue your tasks use in TASKS[{alias!r}]['QUEUES'].",
            obj=where,
            id="scalejobs.E704",
        )
    for queue in queues:
        if not QUEUE_NAME.fullmatch(queue):
            yield checks.Error(
                f"TASKS[{alias!r}]['QUEUES'] holds {queue!r}, which is not a Dramatiq queue name.",
                hint="Use letters, digits, '.', '_' and '-', starting with a letter or '_'.",
                obj=where,
                id="scalejobs.E705",
            )
    if "scalejobs" not in _installed_apps():
        yield checks.Error(
            f"TASKS[{alias!r}] uses {BACKEND_PATH} but 'scalejobs' is not in INSTALLED_APPS, "
            "so workers never declare the task queues.",
            hint="Add 'scalejobs' to INSTALLED_APPS.",
            obj=where,
            id="scalejobs.E706",
        )
    if not any(isinstance(middleware, CurrentMessage) for middleware in dramatiq.get_broker().middleware):
        yield checks.Error(
            f"The Dramatiq broker lacks {CURRENT_MESSAGE}, which workers need to run tasks.",
            hint=f"Add {CURRENT_MESSAGE!r} to DRAMATIQ_BROKER['MIDDLEWARE'] (scalejobs.middleware.DEFAULT_STACK has it).",
            obj="settings.DRAMATIQ_BROKER",
            id="scalejobs.E707",
        )


def _is_ours(path: Any) -> bool:
    if path == BACKEND_PATH:
        return True
    if not isinstance(path, str) or compat.FRAMEWORK is None:
        return False
    try:
        backend = import_string(path)
    except ImportError:
        return False
    from .backend import DramatiqBackend

    return isinstance(backend, type) and issubclass(backend, DramatiqBackend)


def _installed_apps() -> set[str]:
    return {app.split(".apps.")[0] for app in django_setting("INSTALLED_APPS", [])}
