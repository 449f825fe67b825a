"""``ECSProtection``: hold the ECS task's scale-in protection while jobs run; drain on SIGTERM.

A little over 100 lines: resolving ``protect="auto"`` needs the actor's
time limit and the drain budget, both read here.
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.middleware import TimeLimit

from .handback import HandedBack


class ECSProtection(dramatiq.Middleware):
    """Protect the ECS task from scale-in while any job that needs it runs.

    A silent no-op outside ECS (``SCALEJOBS["PROTECTION"]["ENABLED"]`` is
    ``"auto"``: on when ``ECS_AGENT_URI`` is set). ``protect="auto"`` (the
    default) protects a job only when its time limit exceeds the drain
    budget; ``True``/``False`` force it. A job never starts on a task ECS
    refused to protect, or once SIGTERM came: it goes back to its queue
    (``handback``). The graceful drain works everywhere: on SIGTERM running
    jobs get ``SHUTDOWN_BUDGET_SECONDS`` to finish, then are handed back.
    """

    actor_options = {"protect"}

    def __init__(self) -> None:
        self.engine: Any = None
        self.budget: float | None = None
        self.stand_down: Any = None
        self._stopping = False
        self._running: dict[int, dramatiq.MessageProxy] = {}
        self._actors: dict[str, tuple[bool, float | None]] = {}
        self._default_limit: float | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before, not after: Dramatiq starts the worker threads between the two hooks, and a
        # job taken then would run unprotected to its end (issue 13).
        from ..conf import get_settings
        from . import runtime
        from .handback import StandDown

        # A fresh start: one broker (and this middleware) may serve one worker after another.
        self._stopping = False
        self._running.clear()
        self._actors.clear()
        self.budget = get_settings().protection.shutdown_budget_seconds
        limits = [m.time_limit for m in broker.middleware if isinstance(m, TimeLimit)]
        self._default_limit = limits[0] / 1000 if limits else None
        self.stand_down = StandDown.for_worker(broker, worker)
        self.engine = runtime.build()
        if self.engine is not None:
            self.engine.start()

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        key = threading.get_ident()
        self._running[key] = message
        if self.engine is None:
            return
        if self.stand_down is not None and self.stand_down.active:
            # A thread that was waiting for work when the process stood down still gets some.
            reason = "this process is standing down"
        else:
            protect, time_limit = self._options(broker, message)
            if not protect:
                return
            admitted = self.engine.claim(key, message_id=message.message_id, actor=message.actor_name, time_limit=time_limit)
            if admitted and not self._stopping:
                return
            self.engine.release(key, message.message_id)
            reason = "the worker is stopping" if self._stopping else "ECS refused to protect this task"
        if self._running.pop(key, None) is None:
            # The drain gave up waiting for this thread and sent the message back already.
            raise HandedBack("handed back by the drain")
        handed_back = self.stand_down.hand_back(broker, message, reason) if self.stand_down is not None else None
        if handed_back is None:
            self._running[key] = message
            return
        raise handed_back

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *, result: Any = None, exception: BaseException | None = None) -> None:
        key = threading.get_ident()
        self._running.pop(key, None)
        if self.engine is not None:
            self.engine.release(key, message.message_id)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self.after_process_message(broker, message)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stopping = True
        if self.stand_down is not None:
            self.stand_down.stop()
        if self.budget is not None:
            from .drain import drain

            drain(worker, self.budget, self._running)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.engine is not None:
            self.engine.stop()

    def _options(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> tuple[bool, float | None]:
        """Return whether the job protects and its time limit in seconds (None: unlimited)."""
        options = message.options
        if "protect" not in options and "time_limit" not in options and message.actor_name in self._actors:
            return self._actors[message.actor_name]
        actor = broker.get_actor(message.actor_name).options
        limit_ms = options.get("time_limit", actor.get("time_limit"))
        limit = self._default_limit if limit_ms is None else limit_ms / 1000
        if limit is not None and limit == float("inf"):
            limit = None
        protect = self._protects(options.get("protect", actor.get("protect", "auto")), limit)
        if "protect" not in options and "time_limit" not in options:
            self._actors[message.actor_name] = (protect, limit)
        return protect, limit

    def _protects(self, protect: object, limit: float | None) -> bool:
        """Resolve ``protect``: ``"auto"`` protects only jobs the drain budget may not cover."""
        if protect != "auto":
            return bool(protect)
        return self.budget is None or limit is None or limit > self.budget
