"""``Periodic``: the Dramatiq middleware that runs the leader election and the scheduler."""

from __future__ import annotations

import dramatiq

from .runner import SchedulerThread, start_scheduler


class Periodic(dramatiq.Middleware):
    """Elect one leader among the worker processes and let it send periodic jobs.

    Actor options: ``periodic`` (a cron string or ``scalejobs.every(...)``)
    and ``periodic_tz`` (a time zone name; ``settings.TIME_ZONE`` by default).
    """

    def __init__(self) -> None:
        self._scheduler: SchedulerThread | None = None

    @property
    def actor_options(self) -> set[str]:
        return {"periodic", "periodic_tz"}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._scheduler = start_scheduler(broker)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before the worker drains its jobs, so the lead is handed over at once.
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None
