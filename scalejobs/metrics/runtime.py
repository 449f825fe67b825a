"""Build the leader's metrics publisher from the settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import dramatiq

from ..conf import get_settings
from ..errors import ConfigurationError
from .publisher import MetricsPublisher, Sink
from .slice import MetricsSettings

logger = logging.getLogger(__name__)

# Set by ECS in every container of a task; its presence turns EMF "auto" on.
ECS_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"


def emf_enabled(settings: MetricsSettings, environ: Mapping[str, str] = os.environ) -> bool:
    """Tell whether EMF lines are written: ``EMF`` itself, or inside ECS when ``"auto"``."""
    if settings.emf == "auto":
        return bool(environ.get(ECS_VARIABLE))
    return bool(settings.emf)


def sinks(settings: MetricsSettings) -> list[Sink]:
    """Return the sinks the settings turn on."""
    from .emf import EmfSink

    found: list[Sink] = []
    if emf_enabled(settings):
        found.append(EmfSink(namespace=settings.namespace, dimensions=settings.dimensions))
    if settings.put_metric_data:
        from .cloudwatch import PutMetricDataSink

        found.append(PutMetricDataSink(namespace=settings.namespace, dimensions=settings.dimensions))
    return found


def publisher(broker: dramatiq.Broker | None = None) -> MetricsPublisher | None:
    """Return this worker process's publisher, not yet started, or ``None`` when no sink is on (the metrics slice's leader duty)."""
    from ..leader import process_election
    from . import snapshot

    settings = get_settings().metrics
    try:
        found = sinks(settings)
    except ConfigurationError as error:
        logger.error("scalejobs: metrics are not published: %s", error)
        return None
    if not found:
        return None
    return MetricsPublisher(snapshot, found, process_election(), interval=settings.interval_seconds)
