"""The Dramatiq middleware scalejobs ships, and the stack to put on a broker.

List ``DEFAULT_STACK`` as ``DRAMATIQ_BROKER["MIDDLEWARE"]``: it holds
Dramatiq's own middleware too, in the order the scalejobs hooks rely on.
Each class lives in its slice, which names it in its ``slice.py``; the names
here, one per class, load it on first use: reading ``DEFAULT_STACK`` (in a
settings module) loads neither the registry nor any middleware.
"""

from __future__ import annotations

import functools
from typing import Any

DEFAULT_STACK: list[str] = [
    # Close stale DB connections around each job, before anything touches the ORM.
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    # Before the others: it drops stale copies of messages moved or deleted from the
    # dashboard before any other middleware acts on them, and sees every job start and end.
    "scalejobs.middleware.Dashboard",
    # Early, so a poison message is dead-lettered before anything else acts on it, and before
    # Retries: after-hooks run in reverse, and its retry guard must look after Retries acted.
    "scalejobs.middleware.Reliability",
    # Hands each running Django task its message (scalejobs.tasks); sets a contextvar only.
    "dramatiq.middleware.CurrentMessage",
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Pipelines",
    # Before Retries: after-hooks run in reverse, and a job's outcome is known once Retries acted.
    "scalejobs.middleware.Batches",
    "dramatiq.middleware.Retries",
    # After Retries, which takes over once a job was postponed too often. Throttle before
    # Unique: a postponed job must not count as started and release an "until start" lock.
    "scalejobs.middleware.Throttle",
    "scalejobs.middleware.Unique",
    # Only worker boot and shutdown hooks: the leader election and the periodic scheduler.
    "scalejobs.middleware.Periodic",
    # Boot and shutdown hooks only: the leader publishes the autoscaling metrics.
    "scalejobs.middleware.Metrics",
    # Last: it claims ECS protection only for jobs every other middleware lets run, and
    # its graceful drain (before_worker_shutdown) comes after the others heard of the stop.
    "scalejobs.middleware.ECSProtection",
]


@functools.cache
def _classes() -> dict[str, str]:
    from ..slices import SLICES

    return {path.rsplit(".", 1)[1]: path for slice in SLICES for path in slice.middleware}


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return ["DEFAULT_STACK", *_classes()]
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ..kernel.slice import load

    try:
        path = _classes()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return load(path)
