"""``Dashboard``: tell the admin what workers are doing, at almost no cost per job.

Every hook is in-memory except two: worker boot starts the heartbeat thread
that publishes running jobs, progress and metrics; a dead-lettered message
has its final failure recorded. Before each job it drops stale copies of
delayed messages the dashboard moved or deleted (see ``queues.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import SkipMessage

from ..clock import system_clock
from ..conf import get_settings
from ..encryption import is_sealed, redact_traceback
from ..errors import UndecryptableArguments
from ..kernel.dead_letters import Failure, dead_message_ttl_ms
from ..kernel.dramatiq_keys import is_delay_queue
from .engine import DashboardEngine
from .heartbeat import Heartbeat, Identity
from .metrics import MinuteCounter
from .payloads import ENQUEUED_AT
from .running import RunningJobs

logger = logging.getLogger(__name__)


class Dashboard(dramatiq.Middleware):
    """Record enqueue times, running jobs, per-minute counts, failures and worker heartbeats."""

    def __init__(self, *, engine: DashboardEngine | None = None) -> None:
        self._engine = engine
        self.running = RunningJobs(system_clock)
        self.counter: MinuteCounter | None = MinuteCounter(system_clock)
        self.heartbeat: Heartbeat | None = None

    @property
    def engine(self) -> DashboardEngine:
        """Return the engine given at construction, or the configured one."""
        from . import engine

        return self._engine or engine()

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        message.options[ENQUEUED_AT] = int(time.time() * 1000)
        traceback = message.options.get("traceback")
        if isinstance(traceback, str) and is_sealed(message):
            # Retries keeps the last traceback on the retry; its messages may quote the sealed arguments.
            message.options["traceback"] = redact_traceback(traceback)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        settings = get_settings().dashboard
        if not settings.metrics:
            self.counter = None
        queues = [name for name in worker.consumers if not is_delay_queue(name)]
        self.heartbeat = Heartbeat(
            board=self.engine.workers,
            identity=Identity.of_this_process(queues=queues, threads=worker.worker_threads, clock=system_clock),
            running=self.running,
            counter=self.counter,
            clock=system_clock,
            interval=settings.heartbeat_seconds,
            retention_seconds=settings.metrics_retention_hours * 3600,
        )
        self.heartbeat.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stopping = True
            self.heartbeat.beat()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat = None

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        skips = self.heartbeat.skips if self.heartbeat is not None else None
        if skips and skips.drops(message.message_id, message.options.get("retries", 0), message.options.get("redis_message_id", "")):
            raise SkipMessage(f"message {message.message_id} was moved or deleted from the dashboard")
        self.running.start(
            message_id=message.message_id, queue=message.queue_name, actor=message.actor_name, args=message.args, kwargs=message.kwargs
        )

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        seconds = self.running.finish(message.message_id)
        if self.counter is not None:
            self.counter.count(failed=exception is not None, actor=message.actor_name, seconds=seconds)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.running.finish(message.message_id)

    def after_nack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        # Dramatiq keeps the exception on the proxy until after the nack; its Results middleware reads it too.
        worker = f"{socket.gethostname()}:{os.getpid()}"
        exception = getattr(message, "_exception", None)
        failure = Failure.of(exception, failed_at=system_clock(), worker=worker)
        if is_sealed(message) and not isinstance(exception, UndecryptableArguments):
            failure = dataclasses.replace(failure, error=redact_traceback(failure.error), traceback=redact_traceback(failure.traceback))
        ttl_ms = dead_message_ttl_ms(broker)
        try:
            self.engine.dead_letters.record_failure(message.options.get("redis_message_id", ""), failure, ttl_ms=ttl_ms)
        except redis.RedisError as error:
            logger.warning("Could not record why message %s was dead-lettered: %s", message.message_id, error)

    def after_bury_message(self, broker: dramatiq.Broker, queue_name: str, redis_id: str, reason: str) -> None:
        """Keep why a message no worker could read was dead-lettered (the dispatch consumer's hook)."""
        worker = f"{socket.gethostname()}:{os.getpid()}"
        failure = Failure(error=f"UndecodableMessage: {reason}", traceback="", failed_at=system_clock(), worker=worker)
        ttl_ms = dead_message_ttl_ms(broker)
        try:
            self.engine.dead_letters.record_failure(redis_id, failure, ttl_ms=ttl_ms)
        except redis.RedisError as error:
            logger.warning("Could not record why message %s was dead-lettered: %s", redis_id, error)
