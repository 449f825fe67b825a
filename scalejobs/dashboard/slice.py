"""The dashboard slice declares itself: worker heartbeats, the Jobs pages, and how they page."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import FLAG, POSITIVE_INT, SECONDS, setting


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardSettings:
    """How workers report to the admin dashboard, and how it pages."""

    heartbeat_seconds: float = setting(2.0, "Seconds between worker heartbeats, which publish running jobs, progress and counts.", SECONDS)
    worker_timeout_seconds: float = setting(
        30.0, "A worker silent this long drops off the Workers page (at least twice the heartbeat).", SECONDS
    )
    metrics: bool = setting(True, "Whether workers count processed and failed jobs per minute for the chart.", FLAG)
    metrics_retention_hours: int = setting(24, "How long the per-minute counts are kept.", POSITIVE_INT)
    page_size: int = setting(50, "Messages per page in the queue and dead-letter browsers.", POSITIVE_INT)


SLICE = Slice(
    name="dashboard",
    settings=DashboardSettings,
    checks="scalejobs.dashboard.checks.check_dashboard",
    middleware=("scalejobs.dashboard.middleware.Dashboard",),
    # First in the registry's page order, so the Dashboard heads the menu and the scalejobs index shows it.
    pages="scalejobs.dashboard.views",
)
