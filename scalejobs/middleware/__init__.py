"""The Dramatiq middleware scalejobs ships, and the stack to put on a broker.

List ``DEFAULT_STACK`` as ``DRAMATIQ_BROKER["MIDDLEWARE"]``: it holds
Dramatiq's own middleware too, in the order the scalejobs hooks rely on.
Each class lives in its slice; the names here load them on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# Slice middleware, by public name. Each slice adds its own line.
_SLICES: dict[str, str] = {}

DEFAULT_STACK: list[str] = [
    # Close stale DB connections around each job, before anything touches the ORM.
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Pipelines",
    "dramatiq.middleware.Retries",
]

__all__ = ["DEFAULT_STACK", *_SLICES]


def __getattr__(name: str) -> Any:
    try:
        module = _SLICES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)
