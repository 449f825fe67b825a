"""Django system checks: one entry point that yields from every slice in the registry.

Check ids come in one hundreds block per slice: ``E0xx`` the kernel
(settings, broker), ``E1xx`` mail, ``E2xx`` protection, ``E3xx`` unique,
``E4xx`` throttle, ``E5xx`` periodic, ``E6xx`` dashboard, ``E7xx`` tasks,
``E8xx`` reliability, ``E9xx`` metrics, ``E10xx`` batch. Checks read configuration only.
A slice names its check function in its ``slice.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core import checks

from . import conf
from .errors import ConfigurationError
from .kernel.slice import load


def check_all(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run every scalejobs check: the settings, the broker, then each slice's."""
    from .slices import SLICES

    try:
        conf.get_settings.cache_clear()
        conf.get_settings()
    except ConfigurationError as error:
        return [checks.Error(str(error), hint=error.hint, obj="settings.SCALEJOBS", id="scalejobs.E001")]
    found = list(check_broker())
    for slice in SLICES:
        if slice.checks is not None:
            found.extend(load(slice.checks)())
    return found


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
