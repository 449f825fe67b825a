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
(see ``job_policies.py``).

Longer than most middleware files: each hook handles a distinct moment of a
message's life, and the cases are easier to check side by side.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.common import q_name

from ..errors import DuplicateJob, EnqueueVeto, StoreUnavailable
from . import unique_jobs
from .background import Batcher
from .engine import UniqueJobs
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

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        policy = self._policy(broker, message)
        if policy is None:
            return
        ttl = policy.ttl + (delay or 0) / 1000
        fresh = MARK not in message.options
        try:
            digest, label = _identity(policy, message)
        except UniqueKeyError:
            if fresh:
                raise
            digest, label = message.options[MARK], message.actor_name
        try:
            holder = self.engine.acquire(
                message.options.get(MARK, digest), message.message_id, ttl, actor=message.actor_name, label=label
            )
        except redis.RedisError as error:
            if fresh:
                raise LockUnavailable(f"{message.actor_name}: not sent, the unique lock is unreachable: {error}") from error
            logger.warning("Could not renew the unique lock of message %s: %s", message.message_id, error)
            return
        if fresh and holder != message.message_id:
            logger.info("Dropped a duplicate of %s: message %s holds its unique lock.", message.actor_name, holder)
            raise DuplicateJob(message.actor_name, holder)
        if fresh:
            message.options[MARK] = digest
        else:
            # A retry, delay move or postponement: never refused, the message already exists.
            self._resent.message_id = message.message_id

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

    def _policy(self, broker: dramatiq.Broker, message: dramatiq.Message | MessageProxy) -> UniquePolicy | None:
        if message.options.get(BYPASS) is False:
            return None
        return self._policies.of(broker, message)

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


def _identity(policy: UniquePolicy, message: dramatiq.Message) -> tuple[str, str]:
    try:
        return identity(policy, message.actor_name, q_name(message.queue_name), message.args, message.kwargs)
    except Exception as error:
        raise UniqueKeyError(f"{message.actor_name}: not sent, its unique_key failed: {error!r}") from error
