"""System checks of the reliability slice (ids ``scalejobs.E8xx``/``W8xx``).

W801: ``Reliability`` is not listed, so dead workers' jobs wait for Dramatiq's random maintenance.
E802: ``Reliability`` comes after ``Retries``, so its retry guard would look before ``Retries`` acts.
W803: the broker's ``heartbeat_timeout`` plus the recovery interval exceeds ``RECOVERY_BOUND_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks

from .. import conf
from ..kernel.middleware import BROKER_SETTING, position

# The recovery time the docs promise with the default settings.
RECOVERY_BOUND_SECONDS = 90.0
# Dramatiq's default heartbeat timeout, in milliseconds.
DEFAULT_HEARTBEAT_TIMEOUT = 60_000


def check_reliability() -> Iterator[checks.CheckMessage]:
    """Check that the ``Reliability`` middleware is listed, in its place, and recovers in time."""
    reliability = position("scalejobs.Reliability")
    if reliability is None:
        yield checks.Warning(
            "scalejobs.middleware.Reliability is not in DRAMATIQ_BROKER['MIDDLEWARE']: a SIGKILLed worker's jobs wait "
            "for Dramatiq's random maintenance pass, and a message that kills its worker is redelivered forever.",
            hint="Use scalejobs.middleware.DEFAULT_STACK, or add 'scalejobs.middleware.Reliability' before Retries.",
            obj=BROKER_SETTING,
            id="scalejobs.W801",
        )
        return
    retries = position("dramatiq.Retries")
    if retries is not None and retries < reliability:
        yield checks.Error(
            "scalejobs.middleware.Reliability comes after dramatiq.middleware.Retries in DRAMATIQ_BROKER['MIDDLEWARE'].",
            hint="List 'scalejobs.middleware.Reliability' before 'dramatiq.middleware.Retries' (as DEFAULT_STACK does).",
            obj=BROKER_SETTING,
            id="scalejobs.E802",
        )
    settings = conf.get_settings().reliability
    options = (conf.django_setting("DRAMATIQ_BROKER") or {}).get("OPTIONS", {})
    timeout = options.get("heartbeat_timeout", DEFAULT_HEARTBEAT_TIMEOUT) if isinstance(options, dict) else DEFAULT_HEARTBEAT_TIMEOUT
    if settings.recover_orphans and isinstance(timeout, (int, float)):
        bound = timeout / 1000 + settings.recovery_interval_seconds
        if bound > RECOVERY_BOUND_SECONDS:
            yield checks.Warning(
                f"A dead worker's jobs may wait {bound:.0f} s to be recovered: DRAMATIQ_BROKER['OPTIONS']['heartbeat_timeout'] "
                f"is {timeout!r} ms and SCALEJOBS['RELIABILITY']['RECOVERY_INTERVAL_SECONDS'] is "
                f"{settings.recovery_interval_seconds!r}.",
                hint=f"Keep heartbeat_timeout / 1000 + RECOVERY_INTERVAL_SECONDS at or below {RECOVERY_BOUND_SECONDS:.0f} s.",
                obj="settings.SCALEJOBS",
                id="scalejobs.W803",
            )
