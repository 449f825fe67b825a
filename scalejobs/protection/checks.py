"""System checks of the protection slice (ids ``scalejobs.E2xx`` / ``W2xx``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

from django.core import checks

from .. import conf
from ..kernel.middleware import listed

# Fargate's longest stopTimeout, in seconds; the drain must end before ECS SIGKILLs.
FARGATE_MAX_STOP_TIMEOUT = 120


def check_protection() -> Iterator[checks.CheckMessage]:
    """Check the protection settings against the broker and the installed packages."""
    settings = conf.get_settings().protection
    name = "SCALEJOBS['PROTECTION']"
    if settings.transport == "boto3" and importlib.util.find_spec("boto3") is None:
        yield checks.Error(
            f"{name}['TRANSPORT'] is 'boto3' but boto3 is not installed.",
            hint="Install the extra: pip install 'scalejobs[aws]', or set TRANSPORT to 'agent'.",
            id="scalejobs.E201",
        )
    if settings.enabled is not False and not listed("scalejobs.ECSProtection"):
        message = f"{name}['ENABLED'] is {settings.enabled!r} but DRAMATIQ_BROKER['MIDDLEWARE'] lacks ECSProtection."
        hint = "Add 'scalejobs.middleware.ECSProtection' (or use scalejobs.middleware.DEFAULT_STACK), or set ENABLED to False."
        if settings.enabled is True:
            yield checks.Error(message, hint=hint, id="scalejobs.E202")
        else:
            yield checks.Warning(message + " Workers on ECS would run unprotected and not drain.", hint=hint, id="scalejobs.W201")
    budget = settings.shutdown_budget_seconds
    if budget is not None and budget >= FARGATE_MAX_STOP_TIMEOUT - 5:
        yield checks.Warning(
            f"{name}['SHUTDOWN_BUDGET_SECONDS'] is {budget!r}, too close to Fargate's longest stopTimeout "
            f"({FARGATE_MAX_STOP_TIMEOUT} s): ECS would SIGKILL before the drain ends.",
            hint="Keep the budget at least 5 s below the task definition's stopTimeout (on EC2, stopTimeout "
            "may be longer; silence this with SILENCED_SYSTEM_CHECKS if yours is).",
            id="scalejobs.W202",
        )
