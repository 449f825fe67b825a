"""``Metrics``: publish the autoscaling metrics from whichever worker process leads."""

from __future__ import annotations

import dramatiq

from ..kernel.slice import Duty, start_duties, stop_duties
from .slice import SLICE


class Metrics(dramatiq.Middleware):
    """Start the leader-only metrics publisher at worker boot; stop it at shutdown."""

    def __init__(self) -> None:
        self._duties: list[Duty] = []

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._duties = start_duties(SLICE, broker)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        stop_duties(self._duties)
        self._duties = []
