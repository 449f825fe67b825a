"""``Unique``: refuse to enqueue a job whose unique lock another message holds.

A thin adapter: ``locks.UniqueLocks`` decides what each moment of a
message's life does to its lock and answers with vetoes; this maps them to
Dramatiq's hooks. Django tasks get their ``unique_*`` options per task,
through the runner's ``options_for`` (see ``scalejobs.kernel.job_policies``).
A batch sent by ``perform_bulk`` on the dispatch broker is decided in one
round trip (``before_enqueue_many``, ``check_enqueue_many``: see
``scalejobs.kernel.hooks``), each message as ``before_enqueue`` decides one.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy

from ..errors import EnqueueVeto
from . import unique_jobs
from .engine import UniqueJobs
from .locks import UniqueLocks
from .policy import OPTIONS


class Unique(dramatiq.Middleware):
    """Keep at most one live message per job identity; see ``locks.py``."""

    def __init__(self, *, engine: UniqueJobs | None = None) -> None:
        self._engine = engine
        self.locks = UniqueLocks(lambda: self.engine)

    @property
    def actor_options(self) -> set[str]:
        return set(OPTIONS)

    @property
    def engine(self) -> UniqueJobs:
        """Return the engine given at construction, or one on the configured Redis."""
        return self._engine or unique_jobs()

    def before_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor[..., Any]) -> None:
        self.locks.policies.declare(actor)

    def ignores(self, actor: dramatiq.Actor[..., Any]) -> bool:
        """Tell whether ``actor``'s messages never hold a lock, so its hooks may be skipped (see ``scalejobs.dispatch.hooks``)."""
        return self.locks.policies.governs_none(actor)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.flush()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every release queued so far is sent."""
        return self.locks.flush(timeout)

    def check_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> None:
        """Raise ``DuplicateJob`` if another message holds the lock now; take nothing."""
        veto = self.locks.check(broker, message)
        if veto is not None:
            raise veto

    def check_enqueue_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]]) -> list[EnqueueVeto | None]:
        """Tell, per message, whether another message holds its lock now, in one round trip; take nothing."""
        vetoes = self.locks.check_many(broker, messages)
        if vetoes.whole is not None:
            raise vetoes.whole
        return vetoes.each

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        veto = self.locks.take(broker, message, delay)
        if veto is not None:
            raise veto

    def before_enqueue_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]], delay: int | None) -> list[EnqueueVeto | None]:
        """Take or renew the locks of a batch in one round trip; return each message's veto, if any."""
        vetoes = self.locks.take_many(broker, messages, delay)
        if vetoes.whole is not None:
            raise vetoes.whole
        return vetoes.each

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.locks.started(broker, message)

    def after_process_message(
        self, broker: dramatiq.Broker, message: MessageProxy, *, result: Any = None, exception: Any = None
    ) -> None:
        self.locks.finished(broker, message, failed=exception is not None)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.locks.skipped(message)

    def after_nack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.locks.settled(message, dead=True)

    def after_ack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.locks.settled(message, dead=False)
