"""``Throttle``: let a job start only when every limiter it names admits it.

An admitted job holds its concurrency slots until it ends, however it ends
(success, failure, or a skip by a later middleware); a refused one is
postponed without using a retry (see ``postpone.py``), and after
``MAX_POSTPONEMENTS`` falls through to a normal retry. Keep ``Throttle``
before ``Unique`` in the stack, so a postponed job does not count as started.
A job's concurrency slots pass to the same thread's next job when it names
the same limiters (see ``keeper.py``); the others are freed from a background
thread, many per call (see ``scalejobs/unique/background.py``).

Longer than most middleware files: admitting, postponing and the several
ways a job can end each need their own few lines.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.middleware import MiddlewareError, SkipMessage

from ..conf import get_settings
from ..encryption import keyring
from ..encryption.message import SealedMessage
from ..errors import StoreUnavailable
from ..unique.background import Batcher
from ..unique.job_policies import JobPolicies
from . import throttles
from .engine import Claim, Throttles
from .keeper import SlotKeeper
from .limiters import Limiter, throttle_policy
from .postpone import postponement_delay

logger = logging.getLogger(__name__)

# Message option counting the postponements so far.
POSTPONED = "scalejobs_postponed"
# Message option of an encrypted job: the keyed digest of each limiter's key, taken at enqueue,
# where the arguments are still in clear (None for a limiter whose key is not a callable).
SCOPES = "scalejobs_throttle_scopes"


class ThrottleUnavailable(StoreUnavailable, MiddlewareError):
    """Raised when a throttled job cannot reach Redis; the job fails this attempt instead of running unlimited."""


class ThrottleKeyError(MiddlewareError):
    """Raised when a limiter's ``key`` callable fails on a job's arguments; the job fails this attempt."""


class Throttled(dramatiq.Retry, MiddlewareError):
    """Raised when a job was postponed ``MAX_POSTPONEMENTS`` times: it now uses a retry."""


class Throttle(dramatiq.Middleware):
    """Admit, postpone and release throttled jobs; see the module docstring."""

    def __init__(self, *, engine: Throttles | None = None) -> None:
        self._engine = engine
        self._policies: JobPolicies[tuple[Limiter, ...]] = JobPolicies(_read_throttle, none=())
        self._held: dict[str, tuple[tuple[Claim, ...], str]] = {}
        self._lock = threading.Lock()
        # This worker process's broker id, once booted: the slots it takes are recorded as its own,
        # so crash recovery frees them the moment the process is presumed dead.
        self._owner: str | None = None
        self._releases: Batcher[tuple[tuple[Claim, ...], str]] = Batcher(self._send_releases, name="scalejobs-slot-releases")
        self.keeper = SlotKeeper(
            lambda claims, holder: self.engine.renew(claims, holder), lambda claims, holder: self._releases.put((claims, holder))
        )

    @property
    def actor_options(self) -> set[str]:
        return {"throttle"}

    @property
    def engine(self) -> Throttles:
        """Return the engine given at construction, or one on the configured Redis."""
        return self._engine or throttles()

    def before_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor) -> None:
        self._policies.declare(actor)

    def ignores(self, actor: dramatiq.Actor) -> bool:
        """Tell whether ``actor``'s messages are never throttled, so its hooks may be skipped (see ``scalejobs.dispatch.hooks``)."""
        return self._policies.governs_none(actor)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._owner = getattr(broker, "broker_id", None)
        self.keeper.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # After, not before: jobs still finishing during a graceful shutdown keep their slots renewed.
        self.keeper.stop()
        self.flush()

    def flush(self, timeout: float = 5.0) -> bool:
        """Give back every parked slot and wait until every release queued so far is sent."""
        self.keeper.release_spares(all_=True)
        return self._releases.flush(timeout)

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        if not isinstance(message, SealedMessage) or SCOPES in message.options:
            return
        limiters = self._policy(broker, message)
        if any(callable(limiter.key) for limiter in limiters):
            message.options[SCOPES] = sealed_scopes(message, limiters)

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        limiters = self._policy(broker, message)
        if not limiters:
            return
        try:
            claims = _claims(message, limiters)
        except Exception as error:
            raise ThrottleKeyError(f"{message.actor_name}: a throttle key failed: {error!r}") from error
        spare = self.keeper.take(claims) if _only_slots(claims) else None
        if spare is not None:
            with self._lock:
                self._held[_delivery(message)] = (claims, spare)
            return
        holder = f"{message.message_id}:{uuid.uuid4().hex[:12]}"
        try:
            decision = self.engine.acquire(claims, holder, owner=self._owner)
        except redis.RedisError as error:
            raise ThrottleUnavailable(f"{message.actor_name}: throttle unreachable: {error}") from error
        if decision.admitted:
            with self._lock:
                self._held[_delivery(message)] = (claims, holder)
            self.keeper.hold(holder, claims)
            return
        settings = get_settings().throttle
        postponements = message.options.get(POSTPONED, 0)
        delay = postponement_delay(postponements, decision.wait, backoff=settings.backoff, max_backoff=settings.max_backoff)
        if postponements >= settings.max_postponements:
            message.options[POSTPONED] = 0
            raise Throttled(f"{message.actor_name}: still throttled after {postponements} postponements", delay=int(delay * 1000))
        try:
            broker.enqueue(message.copy(options={POSTPONED: postponements + 1}), delay=max(1, int(delay * 1000)))
        except redis.RedisError as error:
            raise ThrottleUnavailable(f"{message.actor_name}: could not postpone: {error}") from error
        logger.debug("Postponed message %s by %.2fs: %s is full.", message.message_id, delay, decision.refused_by)
        raise SkipMessage(f"postponed by {delay:.2f}s")

    def after_process_message(
        self, broker: dramatiq.Broker, message: MessageProxy, *, result: Any = None, exception: Any = None
    ) -> None:
        self._release(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self._release(message)

    def _policy(self, broker: dramatiq.Broker, message: dramatiq.Message | MessageProxy) -> tuple[Limiter, ...]:
        if message.options.get("throttle") is False:
            return ()
        return self._policies.of(broker, message)

    def _release(self, message: MessageProxy) -> None:
        with self._lock:
            held = self._held.pop(_delivery(message), None)
        if held is None:
            return
        claims, holder = held
        if _only_slots(claims):
            self.keeper.park(holder)
            return
        self.keeper.drop(holder)
        if any(claim.kind == "concurrency" for claim in claims):
            self._releases.put(held)

    def _send_releases(self, holdings: list[tuple[tuple[Claim, ...], str]]) -> None:
        try:
            self.engine.release_many(holdings, owner=self._owner)
        except redis.RedisError as error:
            logger.warning("Could not free %d concurrency slots (they lapse after lock_timeout): %s", len(holdings), error)


def sealed_scopes(message: dramatiq.Message, limiters: tuple[Limiter, ...]) -> list[str | None]:
    """Return the keyed digest of each callable-keyed limiter's scope for the clear arguments of ``message``."""
    digest = keyring().digest
    try:
        return [
            digest(limiter.claim(message.actor_name, message.args, message.kwargs).scope) if callable(limiter.key) else None
            for limiter in limiters
        ]
    except Exception as error:
        raise ThrottleKeyError(f"{message.actor_name}: not sent, a throttle key failed: {error!r}") from error


def _claims(message: MessageProxy, limiters: tuple[Limiter, ...]) -> tuple[Claim, ...]:
    scopes = message.options.get(SCOPES)
    if not isinstance(scopes, list) or len(scopes) != len(limiters):
        return tuple(limiter.claim(message.actor_name, message.args, message.kwargs) for limiter in limiters)
    return tuple(
        limiter.claim(message.actor_name, message.args, message.kwargs)
        if scope is None
        else Claim(kind=limiter.kind, limit=limiter.capacity, period=limiter.period, scope=f"sealed:{scope}")
        for limiter, scope in zip(limiters, scopes, strict=True)
    )


def _read_throttle(name: str, options: Mapping[str, Any]) -> tuple[Limiter, ...]:
    return throttle_policy(name, options.get("throttle"))


def _only_slots(claims: tuple[Claim, ...]) -> bool:
    # Rate limiters count starts, so only pure concurrency claims can pass to the next job.
    return all(claim.kind == "concurrency" for claim in claims)


def _delivery(message: MessageProxy) -> str:
    return str(message.options.get("redis_message_id", message.message_id))
