"""Django system checks: one entry point that yields from every slice.

Check ids come in one hundreds block per slice: ``E0xx`` the kernel
(settings, broker), ``E1xx`` mail, ``E2xx`` protection, ``E3xx`` unique,
``E4xx`` throttle, ``E5xx`` periodic, ``E6xx`` dashboard, ``E7xx`` tasks,
``E8xx`` reliability, ``E9xx`` metrics, ``E10xx`` batch. Checks read configuration only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core import checks

from . import conf
from .errors import ConfigurationError


def check_all(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run every scalejobs check."""
    from .batch.checks import check_batch
    from .dashboard.checks import check_dashboard
    from .mail.checks import check_mail
    from .metrics.checks import check_metrics
    from .periodic.checks import check_periodic
    from .protection.checks import check_protection
    from .reliability.checks import check_reliability
    from .tasks_backend.checks import check_tasks
    from .throttle.checks import check_throttle
    from .unique.checks import check_unique

    try:
        conf.get_settings.cache_clear()
        conf.get_settings()
    except ConfigurationError as error:
        return [checks.Error(str(error), hint=error.hint, obj="settings.SCALEJOBS", id="scalejobs.E001")]
    return [
        *check_broker(),
        *check_mail(),
        *check_periodic(),
        *check_dashboard(),
        *check_protection(),
        *check_tasks(),
        *check_unique(),
        *check_throttle(),
        *check_reliability(),
        *check_metrics(),
        *check_batch(),
    ]


def check_broker() -> Iterator[checks.CheckMessage]:
    """Check that ``DRAMATIQ_BROKER`` is set, since django-dramatiq's default is broken."""
    broker = conf.django_setting("DRAMATIQ_BROKER")
    if broker is None:
        yield checks.Error(
            "DRAMATIQ_BROKER is not set; django-dramatiq's default names a middleware Dramatiq 2 removed.",
            hint='Set DRAMATIQ_BROKER = {"BROKER": "scalejobs.dispatch.RedisBroker", '
            '"OPTIONS": {"url": ...}, "MIDDLEWARE": scalejobs.middleware.DEFAULT_STACK}.',
            id="scalejobs.E002",
        )
    apps = list(conf.django_setting("INSTALLED_APPS", []))
    names = [app.split(".apps.")[0] for app in apps]
    if "django_dramatiq" not in names:
        yield checks.Error(
            "'django_dramatiq' is not in INSTALLED_APPS.",
            hint="Add 'django_dramatiq' to INSTALLED_APPS, before 'scalejobs'.",
            id="scalejobs.E003",
        )
