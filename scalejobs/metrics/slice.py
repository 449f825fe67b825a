"""The metrics slice declares itself: where the leader publishes autoscaling metrics, checks and middleware."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..kernel.slice import Slice
from ..kernel.validation import FLAG, Rule, number, one_of, setting

# CloudWatch takes at most 30 dimensions a metric; Queue is ours.
MAX_DIMENSIONS = 29


def _dimensions(value: Any, given: Mapping[str, Any]) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) <= MAX_DIMENSIONS
        and all(isinstance(key, str) and key and isinstance(item, str) and item for key, item in value.items())
    )


def _namespace(value: Any, given: Mapping[str, Any]) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255 and not value.startswith("AWS/")


def _token(value: Any, given: Mapping[str, Any]) -> bool:
    return value is None or (isinstance(value, str) and len(value) >= 16)


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsSettings:
    """Where the leader publishes the autoscaling metrics, and who may scrape them."""

    emf: bool | str = setting(
        "auto",
        'CloudWatch EMF lines on the leader\'s standard output: True, False, or "auto" (on inside ECS).',
        one_of('True, False or "auto"', True, False, "auto"),
    )
    put_metric_data: bool = setting(False, "Whether the leader also calls CloudWatch PutMetricData (pip install 'scalejobs[aws]').", FLAG)
    interval_seconds: float = setting(
        60.0, "Seconds between the leader's publications, 10 or more.", number("a number of seconds >= 10", lambda value, given: value >= 10)
    )
    namespace: str = setting("Scalejobs", "CloudWatch namespace of every metric.", Rule("a namespace not starting with 'AWS/'", _namespace))
    dimensions: Mapping[str, str] = setting(
        {},
        'Dimensions added to every CloudWatch metric, e.g. {"Service": "worker"}.',
        Rule("a dict of at most 29 non-empty strings", _dimensions, lambda value, name: dict(value)),
    )
    token: str | None = setting(
        None,
        "Bearer token that opens GET /scalejobs/metrics to a scraper; None: staff with view_jobs only.",
        Rule("a string of 16 characters or more, or None", _token),
        repr=False,
    )


SLICE = Slice(
    name="metrics",
    settings=MetricsSettings,
    checks="scalejobs.metrics.checks.check_metrics",
    middleware=("scalejobs.metrics.middleware.Metrics",),
    duties=("scalejobs.metrics.runtime.publisher",),
)
