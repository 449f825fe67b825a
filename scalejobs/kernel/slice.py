"""What a slice declares about itself, once, in its own ``slice.py``.

``scalejobs.slices.SLICES`` lists every declaration; the settings, the system
checks, the admin menu, the public middleware names and ``AppConfig.ready``
only iterate it. Code is named by dotted path and imported on first use, so
reading the registry loads no middleware, view or check module.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import dramatiq


class Duty(Protocol):
    """Work that one process of the cluster does while it leads (``scalejobs.leader.LeaderDuty``)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Slice:
    """One slice: its settings section, checks, middleware, admin pages, start-up work and leader duties."""

    # The word the slice uses for itself: its attribute on Settings, its SCALEJOBS key upper-cased.
    name: str
    # Its SCALEJOBS section: a frozen dataclass of setting() fields (scalejobs.kernel.validation).
    settings: type | None = None
    # A function yielding its Django system checks.
    checks: str | None = None
    # Its Dramatiq middleware classes, public in scalejobs.middleware under their class names.
    middleware: tuple[str, ...] = ()
    # The module whose PAGES list its admin pages, in menu order.
    pages: str | None = None
    # A function AppConfig.ready calls: what every process, web or worker, does at start.
    ready: str | None = None
    # Its leader duties: functions of the worker's broker returning a Duty, or None when it has
    # nothing to do; its middleware starts them at worker boot (start_duties) and stops them.
    duties: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Return the slice's key in ``SCALEJOBS``, e.g. ``THROTTLE``."""
        return self.name.upper()


def load(path: str) -> Any:
    """Import and return the object at the dotted ``path``, e.g. ``scalejobs.unique.checks.check_unique``."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def start_duties(declared: Slice, broker: dramatiq.Broker) -> list[Duty]:
    """Build and start ``declared``'s leader duties for this worker process; return the started ones."""
    duties = [duty for path in declared.duties if (duty := load(path)(broker)) is not None]
    for duty in duties:
        duty.start()
    return duties


def stop_duties(duties: Sequence[Duty]) -> None:
    """Stop duties started by ``start_duties``: each ends its loop, then leaves the election."""
    for duty in duties:
        duty.stop()
