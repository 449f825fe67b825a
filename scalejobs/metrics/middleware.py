"""``Metrics``: publish the autoscaling metrics from whichever worker process leads."""

from __future__ import annotations

import dramatiq

from .publisher import MetricsPublisher


class Metrics(dramatiq.Middleware):
    """Start the leader-only metrics publisher at worker boot; stop it at shutdown."""

    def __init__(self) -> None:
        self._publisher: MetricsPublisher | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from .runtime import publisher

        self._publisher = publisher()
        if self._publisher is not None:
            self._publisher.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._publisher is not None:
            self._publisher.stop()
            self._publisher = None
