"""``Periodic``: the Dramatiq middleware that runs the leader election and the scheduler."""

from __future__ import annotations

import dramatiq

from ..kernel.slice import Duty, start_duties, stop_duties
from .slice import SLICE


class Periodic(dramatiq.Middleware):
    """Elect one leader among the worker processes and let it send periodic jobs.

    Actor options: ``periodic`` (a cron string or ``scalejobs.every(...)``)
    and ``periodic_tz`` (a time zone name; ``settings.TIME_ZONE`` by default).
    """

    def __init__(self) -> None:
        self._duties: list[Duty] = []

    @property
    def actor_options(self) -> set[str]:
        return {"periodic", "periodic_tz"}

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._duties = start_duties(SLICE, broker)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before the worker drains its jobs, so the lead is handed over at once.
        stop_duties(self._duties)
        self._duties = []
