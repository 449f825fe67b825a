"""The seed's naive protection, kept only to measure the scale-in storm against it.

One enable call per job start and a disable when the process's last job
ends, whatever ECS answers; built after worker boot; no hand-back. The
graceful drain is the same as ``ECSProtection``'s, so the storm compares
protection alone.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import dramatiq

from scalejobs.protection.agent import AgentTransport
from scalejobs.protection.drain import drain


class NaiveProtection(dramatiq.Middleware):
    """Call the ECS agent around every job; never refuse to start one."""

    actor_options = {"protect"}

    def __init__(self) -> None:
        self.transport: AgentTransport | None = None
        self.budget = 0.0
        self._running: dict[int, Any] = {}
        self._lock = threading.Lock()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from scalejobs.conf import get_settings

        settings = get_settings().protection
        self.budget = settings.shutdown_budget_seconds or 0.0
        uri = os.environ.get("ECS_AGENT_URI")
        if uri:
            self.transport = AgentTransport(uri, connect_timeout=settings.connect_timeout_seconds, read_timeout=settings.read_timeout_seconds)

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        with self._lock:
            self._running[threading.get_ident()] = message
        if self.transport is not None:
            self.transport.update(enabled=True, expires_minutes=60)

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *, result: Any = None, exception: Any = None) -> None:
        with self._lock:
            self._running.pop(threading.get_ident(), None)
            idle = not self._running
        if idle and self.transport is not None:
            self.transport.update(enabled=False, expires_minutes=60)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.after_process_message(broker, message)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        drain(worker, self.budget, self._running)
