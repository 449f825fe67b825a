"""Fixtures of the metrics engine tests: the dashboard engine's (real Redis, frozen clock, Dramatiq's keys)."""

from __future__ import annotations

import pytest

from scalejobs.dashboard.engine import DashboardEngine
from scalejobs.metrics import MetricsEngine
from tests.unit.dashboard.conftest import clock, engine, no_running_job, queues  # noqa: F401


@pytest.fixture
def metrics(engine: DashboardEngine) -> MetricsEngine:  # noqa: F811
    return MetricsEngine(engine)
