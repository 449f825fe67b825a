"""System checks of the metrics slice (ids ``scalejobs.E9xx`` / ``W9xx``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

from django.core import checks

from .. import conf
from ..kernel.middleware import listed


def check_metrics() -> Iterator[checks.CheckMessage]:
    """Check that PutMetricData can load boto3 and that a publishing sink has its middleware."""
    settings = conf.get_settings().metrics
    if settings.put_metric_data and importlib.util.find_spec("boto3") is None:
        yield checks.Error(
            "SCALEJOBS['METRICS']['PUT_METRIC_DATA'] is True, and boto3 is not installed.",
            hint="pip install 'scalejobs[aws]', or set PUT_METRIC_DATA to False and publish through EMF.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E901",
        )
    publishing = settings.put_metric_data or settings.emf is True
    if publishing and not listed("scalejobs.Metrics"):
        yield checks.Warning(
            "scalejobs.middleware.Metrics is not in DRAMATIQ_BROKER['MIDDLEWARE']: no worker publishes the "
            "metrics SCALEJOBS['METRICS'] turns on.",
            hint="Use scalejobs.middleware.DEFAULT_STACK, or add 'scalejobs.middleware.Metrics' to it.",
            obj="settings.DRAMATIQ_BROKER",
            id="scalejobs.W901",
        )
