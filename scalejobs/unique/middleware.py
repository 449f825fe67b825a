"""``Unique``: refuse to enqueue a job whose unique lock another message holds.

The lock's owner is the message id, which the message keeps through its
retries, delay moves and throttle postponements: those re-sends renew the
lock instead of colliding with it. A fresh send is tagged with the lock's
digest (option ``scalejobs_unique``), so every later enqueue of it is known
to be a re-send. The lock goes on success (or at start), when the message
dies after its last retry, or when another middleware drops it. Releases
after a job are sent from a background thread, many per call (see
``background.py``); the release at start is sent at once. Django tasks get
their ``unique_*`` options per task, through the runner's ``options_for``
(see ``job_policies.py``). A batch sent by ``perform_bulk`` on the dispatch
broker is decided in one round trip (``before_enqueue_many``,
``check_enqueue_many``), each message as ``before_enqueue`` decides one.
On the dispatch broker (sharing scalejobs' Redis) the lock is not taken in
the hook: the hook hands the broker a ``_LockedSend``, whose script takes
the lock and enqueues the message in one round trip (see
``scalejobs/dispatch/guard.py``); a refused message is not sent.

Longer than most middleware files: each hook handles a distinct moment of a
message's life, and the cases are easier to check side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.common import q_name
from redis.commands.core import Script

from ..encryption import keyring
from ..encryption.message import SealedMessage
from ..errors import DuplicateJob, EnqueueVeto, StoreUnavailable
from . import unique_jobs
from .background import Batcher
from .engine import LockRequest, UniqueJobs
from .job_policies import JobPolicies
from .policy import OPTIONS, UniquePolicy, identity, unique_policy

logger = logging.getLogger(__name__)

# Message option holding the lock's digest; set on the first enqueue.
MARK = "scalejobs_unique"
# Message option that, set to False, sends without the uniqueness check.
BYPASS = "unique"


class LockUnavailable(StoreUnavailable, EnqueueVeto):
    """Raised when a unique job is sent while Redis cannot be reached; nothing is sent."""


class UniqueKeyError(EnqueueVeto):
    """Raised when a job's ``unique_key`` fails on the arguments of a send; nothing is sent."""


class Unique(dramatiq.Middleware):
    """Keep at most one live message per job identity; see the module docstring."""

    def __init__(self, *, engine: UniqueJobs | None = None) -> None:
        self._engine = engine
        self._policies: JobPolicies[UniquePolicy | None] = JobPolicies(unique_policy, none=None)
        # The message id this thread last re-sent: a skip right after hands the lock on.
        self._resent = threading.local()
        self._releases: Batcher[tuple[str, str]] = Batcher(self._send_releases, name="scalejobs-unique-releases")

    @property
    def actor_options(self) -> set[str]:
        return set(OPTIONS)

    @property
    def engine(self) -> UniqueJobs:
        """Return the engine given at construction, or one on the configured Redis."""
        return self._engine or unique_jobs()

    def before_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor) -> None:
        self._policies.declare(actor)

    def ignores(self, actor: dramatiq.Actor) -> bool:
        """Tell whether ``actor``'s messages never hold a lock, so its hooks may be skipped (see ``scalejobs.dispatch.hooks``)."""
        return self._policies.governs_none(actor)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.flush()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every release queued so far is sent."""
        return self._releases.flush(timeout)

    def check_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        """Raise ``DuplicateJob`` if another message holds the lock now; take nothing."""
        policy = self._policy(broker, message)
        if policy is None:
            return
        digest, _ = _identity(policy, message)
        try:
            holder = self.engine.holder(digest)
        except redis.RedisError as error:
            raise LockUnavailable(f"{message.actor_name}: cannot check the unique lock: {error}") from error
        if holder is not None and holder != message.message_id:
            logger.info("Dropped a duplicate of %s: message %s holds its unique lock.", message.actor_name, holder)
            raise DuplicateJob(message.actor_name, holder)

    def check_enqueue_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message]) -> list[DuplicateJob | None]:
        """Tell, per message, whether another message holds its lock now, in one round trip; take nothing."""
        policies = [self._policy(broker, message) for message in messages]
        digests = {index: _identity(policy, messages[index])[0] for index, policy in enumerate(policies) if policy is not None}
        try:
            holders = dict(zip(digests, self.engine.holders(list(digests.values())), strict=True))
        except redis.RedisError as error:
            raise LockUnavailable(f"{messages[0].actor_name}: cannot check the unique locks: {error}") from error
        found: list[DuplicateJob | None] = [None] * len(messages)
        for index, holder in holders.items():
            if holder is not None and holder != messages[index].message_id:
                logger.info("Dropped a duplicate of %s: message %s holds its unique lock.", messages[index].actor_name, holder)
                found[index] = DuplicateJob(messages[index].actor_name, holder)
        return found

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        request = self._lock_request(broker, message, delay)
        if request is None:
            return
        if self._sends_locked(broker):
            _LockedSend(self, message, request).hand_to(broker)
            return
        lock = request.lock
        try:
            holder = self.engine.acquire(lock.digest, lock.owner, lock.ttl, actor=lock.actor, label=lock.label)
        except redis.RedisError as error:
            self._unreachable(request, error)
            return
        veto = self._settle(message, request, holder)
        if veto is not None:
            raise veto

    def before_enqueue_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message], delay: int | None) -> list[EnqueueVeto | None]:
        """Take or renew the locks of a batch in one round trip; return each message's veto, if any."""
        vetoes: list[EnqueueVeto | None] = [None] * len(messages)
        requests: dict[int, _LockRequest] = {}
        for index, message in enumerate(messages):
            try:
                request = self._lock_request(broker, message, delay)
            except UniqueKeyError as error:
                # Before any lock is taken, so a batch refused for one message holds none.
                vetoes[index] = error
                return vetoes
            if request is not None:
                requests[index] = request
        if not requests:
            return vetoes
        if self._sends_locked(broker):
            for index, request in requests.items():
                _LockedSend(self, messages[index], request).hand_to(broker)
            return vetoes
        try:
            holders = self.engine.acquire_many([request.lock for request in requests.values()])
        except redis.RedisError as error:
            for request in requests.values():
                self._unreachable(request, error)
            return vetoes
        for (index, request), holder in zip(requests.items(), holders, strict=True):
            vetoes[index] = self._settle(messages[index], request, holder)
        return vetoes

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        policy = self._policy(broker, message)
        if policy is not None and policy.until == "start":
            # At once, not in the background: a job may well enqueue its own next run as it starts.
            self._release(message, wait=True)

    def after_process_message(
        self, broker: dramatiq.Broker, message: MessageProxy, *, result: Any = None, exception: Any = None
    ) -> None:
        policy = self._policy(broker, message)
        if exception is None and (policy is None or policy.until == "success"):
            self._release(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        handed_on = getattr(self._resent, "message_id", None) == message.message_id
        # A failed message is nacked next, and released there.
        if not handed_on and not message.failed:
            self._release(message)

    def after_nack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self._resent.message_id = None
        self._release(message)

    def after_ack(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self._resent.message_id = None

    def _sends_locked(self, broker: dramatiq.Broker) -> bool:
        """Tell whether ``broker`` can take a lock in the script that enqueues its message."""
        shares_redis = getattr(broker, "shares_redis", None)
        return shares_redis is not None and shares_redis(self.engine.client)

    def _policy(self, broker: dramatiq.Broker, message: dramatiq.Message | MessageProxy) -> UniquePolicy | None:
        if message.options.get(BYPASS) is False:
            return None
        return self._policies.of(broker, message)

    def _lock_request(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> _LockRequest | None:
        policy = self._policy(broker, message)
        if policy is None:
            return None
        fresh = MARK not in message.options
        try:
            digest, label = _identity(policy, message)
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
        return _LockRequest(lock=lock, fresh=fresh, new_digest=digest)

    def _unreachable(self, request: _LockRequest, error: redis.RedisError) -> None:
        if request.fresh:
            raise LockUnavailable(f"{request.lock.actor}: not sent, the unique lock is unreachable: {error}") from error
        logger.warning("Could not renew the unique lock of message %s: %s", request.lock.owner, error)

    def _settle(self, message: dramatiq.Message, request: _LockRequest, holder: str) -> DuplicateJob | None:
        if request.fresh and holder != message.message_id:
            logger.info("Dropped a duplicate of %s: message %s holds its unique lock.", message.actor_name, holder)
            return DuplicateJob(message.actor_name, holder)
        if request.fresh:
            message.options[MARK] = request.new_digest
        else:
            # A retry, delay move or postponement: never refused, the message already exists.
            self._resent.message_id = message.message_id
        return None

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
            self.engine.release_many(locks)
        except redis.RedisError as error:
            logger.warning("Could not release %d unique locks (they expire on their own): %s", len(locks), error)


@dataclass(frozen=True, slots=True)
class _LockedSend:
    """One message's lock, taken by the script that enqueues it: a ``scalejobs.dispatch.guard.EnqueueGuard``."""

    unique: Unique
    message: dramatiq.Message
    request: _LockRequest

    def hand_to(self, broker: Any) -> None:
        if self.request.fresh:
            # Encoded with the message, which is sent only if the lock is taken.
            self.message.options[MARK] = self.request.new_digest
        broker.guard_enqueue(self.message, self)

    def call(self, enqueue_keys: Sequence[str], enqueue_args: Sequence[Any]) -> tuple[Script, list[Any], list[Any]]:
        return self.unique.engine.enqueue_call(self.request.lock, enqueue_keys, enqueue_args, refusable=self.request.fresh)

    def settle(self, reply: Any) -> None:
        veto = self.unique._settle(self.message, self.request, reply.decode() if isinstance(reply, bytes) else str(reply))
        if veto is not None:
            raise veto

    def failed(self, error: redis.RedisError) -> None:
        self.unique._unreachable(self.request, error)


@dataclass(frozen=True, slots=True)
class _LockRequest:
    lock: LockRequest
    # A first send, which a held lock refuses; a re-send renews its own lock.
    fresh: bool
    # The digest a fresh message is tagged with once it holds the lock.
    new_digest: str


def _identity(policy: UniquePolicy, message: dramatiq.Message) -> tuple[str, str]:
    keyed = keyring().digest if isinstance(message, SealedMessage) else None
    try:
        return identity(policy, message.actor_name, q_name(message.queue_name), message.args, message.kwargs, keyed=keyed)
    except Exception as error:
        raise UniqueKeyError(f"{message.actor_name}: not sent, its unique_key failed: {error!r}") from error
