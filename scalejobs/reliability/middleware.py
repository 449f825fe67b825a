"""``Reliability``: recover dead workers' jobs, stop poison messages, keep retries through a Redis outage."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.middleware import Retries

from ..kernel.slice import Duty, start_duties, stop_duties
from .guard import DeliveryGuard
from .pulser import PulseThread
from .slice import SLICE


class Reliability(dramatiq.Middleware):
    """Adapt the worker's hooks to ``DeliveryGuard`` and run orphan recovery in the leader.

    List it before ``Retries`` (as ``DEFAULT_STACK`` does): after-hooks run
    in reverse order, and the guard must look after ``Retries`` has acted.
    """

    def __init__(self) -> None:
        self.guard = DeliveryGuard()
        self._pulse: PulseThread | None = None
        self._duties: list[Duty] = []

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before, not after: the worker threads start taking jobs before after_worker_boot.
        from .runtime import delivery_guard, pulse_thread

        self.guard = delivery_guard(broker, resend_retries=any(isinstance(m, Retries) for m in broker.middleware))
        self.guard.start()
        self._pulse = pulse_thread(broker)
        if self._pulse is not None:
            self._pulse.start()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._duties = start_duties(SLICE, broker)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before ECSProtection's drain hands running jobs back, which is no fault of theirs.
        self.guard.stopping()
        stop_duties(self._duties)
        self._duties = []

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # After, not before: a drain cut short by SIGKILL must leave a silence behind.
        self.guard.stop()
        if self._pulse is not None:
            self._pulse.stop()
            self._pulse = None

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        self.guard.enqueued(message)

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.guard.begin(message)

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        self.guard.processed(broker, message, exception)

    def after_ack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.guard.settled(message)

    def after_nack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.guard.settled(message)
