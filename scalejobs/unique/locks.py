"""Decide what a unique job's lock does at each moment of a message's life.

The lock's owner is the message id, which the message keeps through its
retries, delay moves and throttle postponements: those re-sends renew the
lock instead of colliding with it. A fresh send is tagged with the lock's
digest (option ``MARK``), so every later enqueue of it is known to be a
re-send. The lock goes on success (or at start), when the message dies after
its last retry, or when another middleware drops it. Releases after a job
are sent from a background thread, many per call (see
``scalejobs.kernel.batching``); the release at start is sent at once.

``UniqueLocks`` answers with decision values: a send gets its veto (``DuplicateJob``, ``UniqueKeyError``, ``LockUnavailable``) or
``None``, and a batch gets ``Vetoes``. The ``Unique`` middleware maps them
to Dramatiq's hooks. Outages fail closed for a fresh send (nothing is sent)
and open for a re-send (the message already exists; its lock lapses).

On the dispatch broker (sharing scalejobs' Redis) the lock is not taken in
the hook: the broker gets a ``LockedSend``, whose script takes the lock and
enqueues the message in one round trip (see ``scalejobs/dispatch/guard.py``);
a refused message is not sent.

Longer than most modules: each moment of a message's life (check, send,
batch, start, end, skip, ack or nack) is a short method here, and the cases
are easier to check side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.common import q_name
from redis.commands.core import Script

from ..encryption import SealedMessage, keyring
from ..errors import DuplicateJob, EnqueueVeto, StoreUnavailable
from ..kernel.batching import Batcher
from ..kernel.job_policies import JobPolicies
from .engine import LockRequest, UniqueJobs
from .policy import BYPASS, MARK, UniquePolicy, identity, unique_policy

logger = logging.getLogger(__name__)

Message = dramatiq.Message[Any] | MessageProxy


class LockUnavailable(StoreUnavailable, EnqueueVeto):
    """Raised when a unique job is sent while Redis cannot be reached; nothing is sent."""


class UniqueKeyError(EnqueueVeto):
    """Raised when a job's ``unique_key`` fails on the arguments of a send; nothing is sent."""


@dataclass(frozen=True, slots=True)
class Vetoes:
    """The decision on a batch: each message's veto or ``None``, or one veto that refuses the whole batch."""

    each: list[EnqueueVeto | None]
    whole: EnqueueVeto | None = None


@dataclass(frozen=True, slots=True)
class Send:
    """One enqueue of a unique job: the lock it asks for, and whether it is the message's first."""

    lock: LockRequest
    # A first send, which a held lock refuses; a re-send renews its own lock.
    fresh: bool
    # The digest a fresh message is tagged with once it holds the lock.
    new_digest: str


class UniqueLocks:
    """Take, renew, check and release the locks of one process's unique jobs."""

    def __init__(self, engine: Callable[[], UniqueJobs]) -> None:
        self.engine = engine
        self.policies: JobPolicies[UniquePolicy | None] = JobPolicies(unique_policy, none=None)
        # The message id this thread last re-sent: a skip right after hands the lock on.
        self._resent = threading.local()
        self._releases: Batcher[tuple[str, str]] = Batcher(self._send_releases, name="scalejobs-unique-releases")

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every release queued so far is sent."""
        return self._releases.flush(timeout)

    def check(self, broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> EnqueueVeto | None:
        """Return the veto a send of ``message`` would meet now (another holder, or an outage); take nothing."""
        policy = self.policy(broker, message)
        if policy is None:
            return None
        try:
            digest, _ = message_identity(policy, message)
        except UniqueKeyError as error:
            return error
        try:
            holder = self.engine().holder(digest)
        except redis.RedisError as error:
            return _caused(LockUnavailable(f"{message.actor_name}: cannot check the unique lock: {error}"), error)
        return _duplicate(message, holder) if holder is not None and holder != message.message_id else None

    def check_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]]) -> Vetoes:
        """Tell, per message, whether another message holds its lock now, in one round trip; take nothing."""
        policies = [self.policy(broker, message) for message in messages]
        found: list[EnqueueVeto | None] = [None] * len(messages)
        try:
            digests = {index: message_identity(policy, messages[index])[0] for index, policy in enumerate(policies) if policy is not None}
        except UniqueKeyError as error:
            return Vetoes(found, error)
        try:
            holders = dict(zip(digests, self.engine().holders(list(digests.values())), strict=True))
        except redis.RedisError as error:
            return Vetoes(found, _caused(LockUnavailable(f"{messages[0].actor_name}: cannot check the unique locks: {error}"), error))
        for index, holder in holders.items():
            if holder is not None and holder != messages[index].message_id:
                found[index] = _duplicate(messages[index], holder)
        return Vetoes(found)

    def take(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> EnqueueVeto | None:
        """Take or renew ``message``'s lock (or hand it to a broker that takes it as it sends); return its veto, if any."""
        try:
            send = self._send(broker, message, delay)
        except UniqueKeyError as error:
            return error
        if send is None:
            return None
        if self._sends_locked(broker):
            LockedSend(self, message, send).hand_to(broker)
            return None
        lock = send.lock
        try:
            holder = self.engine().acquire(lock.digest, lock.owner, lock.ttl, actor=lock.actor, label=lock.label)
        except redis.RedisError as error:
            return self.unreachable(send, error)
        return self.settle(message, send, holder)

    def take_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]], delay: int | None) -> Vetoes:
        """Take or renew the locks of a batch in one round trip."""
        vetoes: list[EnqueueVeto | None] = [None] * len(messages)
        sends: dict[int, Send] = {}
        for index, message in enumerate(messages):
            try:
                send = self._send(broker, message, delay)
            except UniqueKeyError as error:
                # Before any lock is taken, so a batch refused for one message holds none.
                vetoes[index] = error
                return Vetoes(vetoes)
            if send is not None:
                sends[index] = send
        if not sends:
            return Vetoes(vetoes)
        if self._sends_locked(broker):
            for index, send in sends.items():
                LockedSend(self, messages[index], send).hand_to(broker)
            return Vetoes(vetoes)
        try:
            holders = self.engine().acquire_many([send.lock for send in sends.values()])
        except redis.RedisError as error:
            for send in sends.values():
                whole = self.unreachable(send, error)
                if whole is not None:
                    return Vetoes(vetoes, whole)
            return Vetoes(vetoes)
        for (index, send), holder in zip(sends.items(), holders, strict=True):
            vetoes[index] = self.settle(messages[index], send, holder)
        return Vetoes(vetoes)

    def started(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        """Release the lock of a job unique until it starts; at once, since a job may enqueue its own next run."""
        policy = self.policy(broker, message)
        if policy is not None and policy.until == "start":
            self._release(message, wait=True)

    def finished(self, broker: dramatiq.Broker, message: MessageProxy, *, failed: bool) -> None:
        """Release the lock of a job unique until success that succeeded."""
        policy = self.policy(broker, message)
        if not failed and (policy is None or policy.until == "success"):
            self._release(message)

    def skipped(self, message: MessageProxy) -> None:
        """Release the lock of a skipped message, unless this thread just re-sent it (the copy holds it now)."""
        handed_on = getattr(self._resent, "message_id", None) == message.message_id
        # A failed message is nacked next, and released there.
        if not handed_on and not message.failed:
            self._release(message)

    def settled(self, message: MessageProxy, *, dead: bool) -> None:
        """Forget this thread's re-send once ``message`` is acked or nacked; a dead (nacked) message gives its lock back."""
        self._resent.message_id = None
        if dead:
            self._release(message)

    def policy(self, broker: dramatiq.Broker, message: Message) -> UniquePolicy | None:
        """Return the policy that keeps ``message``'s job unique, or ``None``."""
        if message.options.get(BYPASS) is False:
            return None
        return self.policies.of(broker, message)

    def unreachable(self, send: Send, error: redis.RedisError) -> EnqueueVeto | None:
        """Decide a send whose lock Redis did not answer for: refuse a fresh one, let a re-send through."""
        if send.fresh:
            return _caused(LockUnavailable(f"{send.lock.actor}: not sent, the unique lock is unreachable: {error}"), error)
        logger.warning("Could not renew the unique lock of message %s: %s", send.lock.owner, error)
        return None

    def settle(self, message: dramatiq.Message[Any], send: Send, holder: str) -> DuplicateJob | None:
        """Decide a send whose lock ``holder`` holds now: a fresh send held by another is a duplicate."""
        if send.fresh and holder != message.message_id:
            return _duplicate(message, holder)
        if send.fresh:
            message.options[MARK] = send.new_digest
        else:
            # A retry, delay move or postponement: never refused, the message already exists.
            self._resent.message_id = message.message_id
        return None

    def _sends_locked(self, broker: dramatiq.Broker) -> bool:
        """Tell whether ``broker`` can take a lock in the script that enqueues its message."""
        shares_redis = getattr(broker, "shares_redis", None)
        return shares_redis is not None and bool(shares_redis(self.engine().client))

    def _send(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> Send | None:
        policy = self.policy(broker, message)
        if policy is None:
            return None
        fresh = MARK not in message.options
        try:
            digest, label = message_identity(policy, message)
        except UniqueKeyError:
            if fresh:
                raise
            digest, label = message.options[MARK], message.actor_name
        lock = LockRequest(
            digest=message.options.get(MARK, digest),
            owner=message.message_id,
            ttl=policy.ttl + (delay or 0) / 1000,
            actor=message.actor_name,
            label=label,
        )
        return Send(lock=lock, fresh=fresh, new_digest=digest)

    def _release(self, message: MessageProxy, *, wait: bool = False) -> None:
        digest = message.options.get(MARK)
        if digest is None:
            return
        if wait:
            self._send_releases([(digest, message.message_id)])
        else:
            self._releases.put((digest, message.message_id))

    def _send_releases(self, locks: list[tuple[str, str]]) -> None:
        try:
            self.engine().release_many(locks)
        except redis.RedisError as error:
            logger.warning("Could not release %d unique locks (they expire on their own): %s", len(locks), error)


@dataclass(frozen=True, slots=True)
class LockedSend:
    """One message's lock, taken by the script that enqueues it: a ``scalejobs.dispatch.guard.EnqueueGuard``."""

    locks: UniqueLocks
    message: dramatiq.Message[Any]
    send: Send

    def hand_to(self, broker: Any) -> None:
        """Have ``broker`` send the message through this guard's script."""
        if self.send.fresh:
            # Encoded with the message, which is sent only if the lock is taken.
            self.message.options[MARK] = self.send.new_digest
        broker.guard_enqueue(self.message, self)

    def call(self, enqueue_keys: Sequence[str], enqueue_args: Sequence[Any]) -> tuple[Script, list[Any], list[Any]]:
        return self.locks.engine().enqueue_call(self.send.lock, enqueue_keys, enqueue_args, refusable=self.send.fresh)

    def settle(self, reply: Any) -> None:
        veto = self.locks.settle(self.message, self.send, reply.decode() if isinstance(reply, bytes) else str(reply))
        if veto is not None:
            raise veto

    def failed(self, error: redis.RedisError) -> None:
        veto = self.locks.unreachable(self.send, error)
        if veto is not None:
            raise veto


def message_identity(policy: UniquePolicy, message: Message) -> tuple[str, str]:
    """Return the digest naming ``message``'s lock and a readable label; raise ``UniqueKeyError`` if its key fails."""
    keyed = keyring().digest if isinstance(message, SealedMessage) else None
    try:
        return identity(policy, message.actor_name, q_name(message.queue_name), message.args, message.kwargs, keyed=keyed)
    except Exception as error:
        raise UniqueKeyError(f"{message.actor_name}: not sent, its unique_key failed: {error!r}") from error


def _duplicate(message: Message, holder: str) -> DuplicateJob:
    logger.info("Dropped a duplicate of %s: message %s holds its unique lock.", message.actor_name, holder)
    return DuplicateJob(message.actor_name, holder)


def _caused(veto: EnqueueVeto, error: BaseException) -> EnqueueVeto:
    veto.__cause__ = error
    return veto
