"""System checks of the batch slice (ids ``scalejobs.E10xx``/``W10xx``).

W1001: ``Batches`` is not listed, so jobs sent inside a ``Batch`` do not join it.
E1002: ``Batches`` comes after ``Retries``, so a job's outcome would be read before ``Retries`` decides it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks

from ..kernel.middleware import BROKER_SETTING, position


def check_batch() -> Iterator[checks.CheckMessage]:
    """Check that the ``Batches`` middleware is listed, before ``Retries``."""
    batches = position("scalejobs.Batches")
    if batches is None:
        yield checks.Warning(
            "scalejobs.middleware.Batches is not in DRAMATIQ_BROKER['MIDDLEWARE']: jobs sent inside a scalejobs.Batch "
            "do not join it, and its callbacks fire as soon as its block ends.",
            hint="Use scalejobs.middleware.DEFAULT_STACK, or add 'scalejobs.middleware.Batches' before Retries.",
            obj=BROKER_SETTING,
            id="scalejobs.W1001",
        )
        return
    retries = position("dramatiq.Retries")
    if retries is not None and retries < batches:
        yield checks.Error(
            "scalejobs.middleware.Batches comes after dramatiq.middleware.Retries in DRAMATIQ_BROKER['MIDDLEWARE'].",
            hint="List 'scalejobs.middleware.Batches' before 'dramatiq.middleware.Retries' (as DEFAULT_STACK does).",
            obj=BROKER_SETTING,
            id="scalejobs.E1002",
        )
