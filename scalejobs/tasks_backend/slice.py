"""The tasks slice declares itself: the Django Tasks backend's checks and the queues it declares at start."""

from __future__ import annotations

from ..kernel.slice import Slice


def ready() -> None:
    """Declare the actor that runs every task, then every task queue, so workers consume them."""
    from . import runner  # noqa: F401
    from .checks import declare_queues

    declare_queues()


SLICE = Slice(name="tasks", checks="scalejobs.tasks_backend.checks.check_tasks", ready="scalejobs.tasks_backend.slice.ready")
