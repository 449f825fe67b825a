"""System checks of the batch slice (ids ``scalejobs.E10xx``/``W10xx``).

W1001: ``Batches`` is not listed, so jobs sent inside a ``Batch`` do not join it.
E1002: ``Batches`` comes after ``Retries``, so a job's outcome would be read before ``Retries`` decides it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks

from ..unique.checks import listed_middleware

MIDDLEWARE = "settings.DRAMATIQ_BROKER"


def check_batch() -> Iterator[checks.CheckMessage]:
    """Check that the ``Batches`` middleware is listed, before ``Retries``."""
    names = listed_middleware()
    if "scalejobs.Batches" not in names:
        yield checks.Warning(
            "scalejobs.middleware.Batches is not in DRAMATIQ_BROKER['MIDDLEWARE']: jobs sent inside a scalejobs.Batch "
            "do not join it, and its callbacks fire as soon as its block ends.",
            hint="Use scalejobs.middleware.DEFAULT_STACK, or add 'scalejobs.middleware.Batches' before Retries.",
            obj=MIDDLEWARE,
            id="scalejobs.W1001",
        )
        return
    if "dramatiq.Retries" in names and names.index("dramatiq.Retries") < names.index("scalejobs.Batches"):
        yield checks.Error(
            "scalejobs.middleware.Batches comes after dramatiq.middleware.Retries in DRAMATIQ_BROKER['MIDDLEWARE'].",
            hint="List 'scalejobs.middleware.Batches' before 'dramatiq.middleware.Retries' (as DEFAULT_STACK does).",
            obj=MIDDLEWARE,
            id="scalejobs.E1002",
        )
