"""Decide whether a throttled job starts now, waits, or falls through to a retry.

An admitted job holds its concurrency slots until it ends, however it ends
(success, failure, or a skip by a later middleware). A refused one is
postponed without using a retry (see ``postpone.py``) and, after
``MAX_POSTPONEMENTS``, falls through to a normal retry with its counter
reset, so the retry that follows starts a fresh round of postponements. A
job's concurrency slots pass to the same thread's next job when it names the
same limiters (see ``keeper.py``); the others are freed from a background
thread, many per call (see ``scalejobs.kernel.batching``).

``Admissions.admit`` answers with a decision value (``Postpone``,
``Retry``, an error, or ``None`` to start); the ``Throttle`` middleware maps
it to Dramatiq's hooks.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.middleware import MiddlewareError

from ..conf import get_settings
from ..encryption import keyring
from ..errors import StoreUnavailable
from ..kernel.batching import Batcher
from ..kernel.job_policies import JobPolicies
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

Holding = tuple[tuple[Claim, ...], str]


class ThrottleUnavailable(StoreUnavailable, MiddlewareError):
    """Raised when a throttled job cannot reach Redis; the job fails this attempt instead of running unlimited."""


class ThrottleKeyError(MiddlewareError):
    """Raised when a limiter's ``key`` callable fails on a job's arguments; the job fails this attempt."""


@dataclass(frozen=True, slots=True)
class Postpone:
    """Send ``message`` (the copy with one more postponement) after ``delay`` seconds, and skip this delivery."""

    message: dramatiq.Message[Any]
    delay: float
    # The limiter that refused it, for the log.
    refused_by: Claim | None


@dataclass(frozen=True, slots=True)
class Retry:
    """Fail this attempt into a normal retry after ``delay`` seconds: the job was postponed ``postponements`` times."""

    postponements: int
    delay: float


Decision = Postpone | Retry | MiddlewareError | None


class Admissions:
    """Admit, postpone and release one process's throttled jobs."""

    def __init__(self, engine: Callable[[], Throttles]) -> None:
        self.engine = engine
        self.policies: JobPolicies[tuple[Limiter, ...]] = JobPolicies(_read_throttle, none=())
        self._held: dict[str, Holding] = {}
        self._lock = threading.Lock()
        # This worker process's broker id, once booted: the slots it takes are recorded as its own,
        # so crash recovery frees them the moment the process is presumed dead.
        self.owner: str | None = None
        self._releases: Batcher[Holding] = Batcher(self._send_releases, name="scalejobs-slot-releases")
        self.keeper = SlotKeeper(
            lambda claims, holder: self.engine().renew(claims, holder), lambda claims, holder: self._releases.put((claims, holder))
        )

    def flush(self, timeout: float = 5.0) -> bool:
        """Give back every parked slot and wait until every release queued so far is sent."""
        self.keeper.release_spares(all_=True)
        return self._releases.flush(timeout)

    def policy(self, broker: dramatiq.Broker, message: dramatiq.Message[Any] | MessageProxy) -> tuple[Limiter, ...]:
        """Return the limiters ``message`` must pass; none for a job sent with ``throttle=False``."""
        if message.options.get("throttle") is False:
            return ()
        return self.policies.of(broker, message)

    def seal(self, broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> None:
        """Keep the keyed scopes of a sealed job's callable-keyed limiters, while its arguments are in clear."""
        limiters = self.policy(broker, message)
        if any(callable(limiter.key) for limiter in limiters):
            message.options[SCOPES] = sealed_scopes(message, limiters)

    def admit(self, broker: dramatiq.Broker, message: MessageProxy) -> Decision:
        """Take the slots ``message`` needs, or decide how it waits; see the module docstring."""
        limiters = self.policy(broker, message)
        if not limiters:
            return None
        try:
            claims = claims_of(message, limiters)
        except Exception as error:
            return _caused(ThrottleKeyError(f"{message.actor_name}: a throttle key failed: {error!r}"), error)
        spare = self.keeper.take(claims) if _only_slots(claims) else None
        if spare is not None:
            with self._lock:
                self._held[_delivery(message)] = (claims, spare)
            return None
        holder = f"{message.message_id}:{uuid.uuid4().hex[:12]}"
        try:
            decision = self.engine().acquire(claims, holder, owner=self.owner)
        except redis.RedisError as error:
            return _caused(ThrottleUnavailable(f"{message.actor_name}: throttle unreachable: {error}"), error)
        if decision.admitted:
            with self._lock:
                self._held[_delivery(message)] = (claims, holder)
            self.keeper.hold(holder, claims)
            return None
        settings = get_settings().throttle
        postponements = message.options.get(POSTPONED, 0)
        delay = postponement_delay(postponements, decision.wait, backoff=settings.backoff, max_backoff=settings.max_backoff)
        if postponements >= settings.max_postponements:
            message.options[POSTPONED] = 0
            return Retry(postponements=postponements, delay=delay)
        return Postpone(message=message.copy(options={POSTPONED: postponements + 1}), delay=delay, refused_by=decision.refused_by)

    def release(self, message: MessageProxy) -> None:
        """Give back (or park for this thread's next job) the slots ``message`` holds, if any."""
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

    def _send_releases(self, holdings: list[Holding]) -> None:
        try:
            self.engine().release_many(holdings, owner=self.owner)
        except redis.RedisError as error:
            logger.warning("Could not free %d concurrency slots (they lapse after lock_timeout): %s", len(holdings), error)


def sealed_scopes(message: dramatiq.Message[Any], limiters: tuple[Limiter, ...]) -> list[str | None]:
    """Return the keyed digest of each callable-keyed limiter's scope for the clear arguments of ``message``."""
    digest = keyring().digest
    try:
        return [
            digest(limiter.claim(message.actor_name, message.args, message.kwargs).scope) if callable(limiter.key) else None
            for limiter in limiters
        ]
    except Exception as error:
        raise ThrottleKeyError(f"{message.actor_name}: not sent, a throttle key failed: {error!r}") from error


def claims_of(message: MessageProxy, limiters: tuple[Limiter, ...]) -> tuple[Claim, ...]:
    """Return what ``message`` claims of each limiter, from its sealed scopes when it has them."""
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


def _caused(error: MiddlewareError, cause: BaseException) -> MiddlewareError:
    error.__cause__ = cause
    return error
