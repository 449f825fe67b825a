"""System checks of the unique slice (ids ``scalejobs.E3xx``).

E301: ``Unique`` is listed before ``Throttle``, so a job postponed by a
throttle would already have released a lock held until it starts.
E302: ``Unique`` is listed but no Redis is configured for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks

from ..conf import redis_configured
from ..kernel.middleware import BROKER_SETTING, position


def check_unique() -> Iterator[checks.CheckMessage]:
    """Check how the ``Unique`` middleware sits in ``DRAMATIQ_BROKER``."""
    unique = position("scalejobs.Unique")
    if unique is None:
        return
    throttle = position("scalejobs.Throttle")
    if throttle is not None and throttle > unique:
        yield checks.Error(
            "scalejobs.middleware.Unique comes before scalejobs.middleware.Throttle in DRAMATIQ_BROKER['MIDDLEWARE'].",
            hint="List 'scalejobs.middleware.Throttle' before 'scalejobs.middleware.Unique' (as DEFAULT_STACK does).",
            obj=BROKER_SETTING,
            id="scalejobs.E301",
        )
    if not redis_configured():
        yield checks.Error(
            "scalejobs.middleware.Unique needs Redis, but the broker is not a Redis broker and SCALEJOBS['REDIS_URL'] is None.",
            hint="Set SCALEJOBS['REDIS_URL'] to the Redis that unique locks should live in.",
            obj=BROKER_SETTING,
            id="scalejobs.E302",
        )
