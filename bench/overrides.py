"""Settings overrides: what a scenario, or one variant of it, changes in ``bench.settings``.

An override is a dict of Django setting names to values, passed to the
producer and to every worker as JSON in ``$BENCH_OVERRIDES`` (as the test
suite passes ``$SCALEJOBS_TEST_OVERRIDES``). A dict-valued setting
(``SCALEJOBS``, ``DRAMATIQ_BROKER``) is merged key by key over the base,
its sections replaced whole; any other setting is replaced.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENVIRONMENT = "BENCH_OVERRIDES"

Overrides = dict[str, Any]

# Dramatiq's own Redis broker and default middleware: the baseline most scenarios measure against.
PLAIN_DRAMATIQ: Overrides = {
    "DRAMATIQ_BROKER": {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "MIDDLEWARE": [
            "dramatiq.middleware.AgeLimit",
            "dramatiq.middleware.TimeLimit",
            "dramatiq.middleware.ShutdownNotifications",
            "dramatiq.middleware.Callbacks",
            "dramatiq.middleware.Pipelines",
            "dramatiq.middleware.Retries",
        ],
    },
    # The baseline runs no Django tasks and lacks scalejobs' middleware on purpose; its checks would say so.
    "SILENCED_SYSTEM_CHECKS": ["scalejobs.E707", "scalejobs.W201", "scalejobs.W601", "scalejobs.W801"],
    # The example shop's jobs use options Dramatiq's default middleware does not know: the baseline imports
    # only the scenario's own jobs (``worker_jobs(..., baseline=True)``), and no URL conf that imports the shop.
    "ROOT_URLCONF": "bench.urls",
}


def worker_jobs(module: str, *, baseline: bool = False) -> Overrides:
    """Return the override that makes workers import ``bench.jobs.<module>``, and the example shop's jobs unless ``baseline``."""
    return {"DRAMATIQ_AUTODISCOVER_MODULES": [f"jobs.{module}"] if baseline else ["tasks", f"jobs.{module}"]}


def without_middleware(name: str) -> Overrides:
    """Return the override that takes the scalejobs middleware ``name`` out of ``DEFAULT_STACK``."""
    from scalejobs.middleware import DEFAULT_STACK

    return {"DRAMATIQ_BROKER": {"MIDDLEWARE": [path for path in DEFAULT_STACK if path.rsplit(".", 1)[1] != name]}}


def merge(*layers: Overrides) -> Overrides:
    """Return ``layers`` applied in order, dict-valued settings merged key by key."""
    merged: Overrides = {}
    for layer in layers:
        for setting, value in layer.items():
            base = merged.get(setting)
            merged[setting] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return merged


def current() -> Overrides:
    """Return the overrides this process runs with."""
    return json.loads(os.environ.get(ENVIRONMENT) or "{}")


def encode(overrides: Overrides) -> str:
    """Return ``overrides`` as the JSON that ``$BENCH_OVERRIDES`` carries."""
    return json.dumps(overrides)
