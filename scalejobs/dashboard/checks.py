"""System checks of the dashboard slice (ids ``scalejobs.E6xx``/``W6xx``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks
from django.utils.module_loading import import_string

from ..conf import django_setting, get_settings
from ..kernel.middleware import listed


def check_dashboard() -> Iterator[checks.CheckMessage]:
    """Check that workers report often enough, and that they report at all."""
    settings = get_settings().dashboard
    if settings.worker_timeout_seconds < 2 * settings.heartbeat_seconds:
        yield checks.Error(
            f"SCALEJOBS['DASHBOARD']['WORKER_TIMEOUT_SECONDS'] is {settings.worker_timeout_seconds:g}, less than two "
            f"heartbeats of {settings.heartbeat_seconds:g} s: live workers would flicker off the Workers page.",
            hint="Set SCALEJOBS['DASHBOARD']['WORKER_TIMEOUT_SECONDS'] to at least twice HEARTBEAT_SECONDS.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E601",
        )
    broker = django_setting("DRAMATIQ_BROKER")
    if not isinstance(broker, dict):
        return
    if not listed("scalejobs.Dashboard"):
        yield checks.Warning(
            "scalejobs.middleware.Dashboard is not in DRAMATIQ_BROKER['MIDDLEWARE']: the Running jobs and "
            "Workers pages, progress bars and the throughput chart stay empty.",
            hint="Use scalejobs.middleware.DEFAULT_STACK, or add 'scalejobs.middleware.Dashboard' to it.",
            obj="settings.DRAMATIQ_BROKER",
            id="scalejobs.W601",
        )
    path = broker.get("BROKER", "")
    try:
        broker_class = import_string(path)
    except ImportError:
        return
    from dramatiq.brokers.redis import RedisBroker

    if not (isinstance(broker_class, type) and issubclass(broker_class, RedisBroker)):
        yield checks.Warning(
            f"DRAMATIQ_BROKER['BROKER'] is {path!r}; the dashboard reads the queues of a Redis broker only.",
            hint="Use 'dramatiq.brokers.redis.RedisBroker' to browse queues and dead letters in the admin.",
            obj="settings.DRAMATIQ_BROKER",
            id="scalejobs.W602",
        )
