"""``Throttle``: let a job start only when every limiter it names admits it.

A thin adapter: ``admission.Admissions`` decides, and this maps its
decisions to Dramatiq's hooks: a postponement is a delayed copy of the
message and a skip of this delivery, without using a retry; after
``MAX_POSTPONEMENTS`` it is a ``Retry``. Keep ``Throttle`` before
``Unique`` in the stack, so a postponed job does not count as started.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.middleware import MiddlewareError, SkipMessage

from ..encryption import SealedMessage
from . import throttles
from .admission import POSTPONED, SCOPES, Admissions, Postpone, Retry, ThrottleUnavailable
from .engine import Throttles
from .keeper import SlotKeeper

__all__ = ["POSTPONED", "SCOPES", "Throttle", "Throttled"]

logger = logging.getLogger(__name__)


class Throttled(dramatiq.Retry, MiddlewareError):
    """Raised when a job was postponed ``MAX_POSTPONEMENTS`` times: it now uses a retry."""


class Throttle(dramatiq.Middleware):
    """Admit, postpone and release throttled jobs; see ``admission.py``."""

    def __init__(self, *, engine: Throttles | None = None) -> None:
        self._engine = engine
        self.admissions = Admissions(lambda: self.engine)

    @property
    def actor_options(self) -> set[str]:
        return {"throttle"}

    @property
    def engine(self) -> Throttles:
        """Return the engine given at construction, or one on the configured Redis."""
        return self._engine or throttles()

    @property
    def keeper(self) -> SlotKeeper:
        """Return the keeper that renews this process's concurrency slots and hands them on."""
        return self.admissions.keeper

    def before_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor[..., Any]) -> None:
        self.admissions.policies.declare(actor)

    def ignores(self, actor: dramatiq.Actor[..., Any]) -> bool:
        """Tell whether ``actor``'s messages are never throttled, so its hooks may be skipped (see ``scalejobs.dispatch.hooks``)."""
        return self.admissions.policies.governs_none(actor)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.admissions.owner = getattr(broker, "broker_id", None)
        self.keeper.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # After, not before: jobs still finishing during a graceful shutdown keep their slots renewed.
        self.keeper.stop()
        self.flush()

    def flush(self, timeout: float = 5.0) -> bool:
        """Give back every parked slot and wait until every release queued so far is sent."""
        return self.admissions.flush(timeout)

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        if isinstance(message, SealedMessage) and SCOPES not in message.options:
            self.admissions.seal(broker, message)

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        decision = self.admissions.admit(broker, message)
        if isinstance(decision, Postpone):
            try:
                broker.enqueue(decision.message, delay=max(1, int(decision.delay * 1000)))
            except redis.RedisError as error:
                raise ThrottleUnavailable(f"{message.actor_name}: could not postpone: {error}") from error
            logger.debug("Postponed message %s by %.2fs: %s is full.", message.message_id, decision.delay, decision.refused_by)
            raise SkipMessage(f"postponed by {decision.delay:.2f}s")
        if isinstance(decision, Retry):
            raise Throttled(f"{message.actor_name}: still throttled after {decision.postponements} postponements", delay=int(decision.delay * 1000))
        if decision is not None:
            raise decision

    def after_process_message(
        self, broker: dramatiq.Broker, message: MessageProxy, *, result: Any = None, exception: Any = None
    ) -> None:
        self.admissions.release(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.admissions.release(message)
