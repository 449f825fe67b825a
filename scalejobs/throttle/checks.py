"""System checks of the throttle slice (ids ``scalejobs.E4xx``).

E401: ``Throttle`` is listed without Dramatiq's ``Retries``, which takes
over a job postponed ``MAX_POSTPONEMENTS`` times (without it the job is lost).
E402: ``Throttle`` is listed but no Redis is configured for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks

from ..conf import redis_configured
from ..kernel.middleware import BROKER_SETTING, listed


def check_throttle() -> Iterator[checks.CheckMessage]:
    """Check how the ``Throttle`` middleware sits in ``DRAMATIQ_BROKER``."""
    if not listed("scalejobs.Throttle"):
        return
    if not listed("dramatiq.Retries"):
        yield checks.Error(
            "scalejobs.middleware.Throttle is listed without dramatiq.middleware.Retries in DRAMATIQ_BROKER['MIDDLEWARE'].",
            hint="Add 'dramatiq.middleware.Retries' before 'scalejobs.middleware.Throttle' (as DEFAULT_STACK does).",
            obj=BROKER_SETTING,
            id="scalejobs.E401",
        )
    if not redis_configured():
        yield checks.Error(
            "scalejobs.middleware.Throttle needs Redis, but the broker is not a Redis broker and SCALEJOBS['REDIS_URL'] is None.",
            hint="Set SCALEJOBS['REDIS_URL'] to the Redis that throttles should count in.",
            obj=BROKER_SETTING,
            id="scalejobs.E402",
        )
