"""Follow each job a worker process runs, from its start to its ack or nack.

``DeliveryGuard`` keeps, per worker thread, the delivery running there. It

- records each delivery as running in this process, and as ended at its ack
  or nack, from a background thread every ``TRACK_SECONDS`` (a job that ends
  within it costs no write at all), so a job pays no Redis round trip; the
  leader turns a dead process's running deliveries into deaths (``runner``);
- refuses to run a message whose workers died under it more than
  ``max_deaths`` times: the message is failed and skipped, so Dramatiq
  dead-letters it with ``PoisonMessage`` as its error. It learns those
  messages from a set it refreshes every ``POISON_REFRESH_SECONDS``; the
  leader dead-letters most of them before they are delivered again;
- ends every running delivery when the worker is asked to stop, since a job
  handed back on shutdown did not kill its worker;
- makes sure a failed job's retry reaches Redis. ``Retries`` enqueues the
  retry from an after-hook, where Dramatiq logs and swallows errors; if
  Redis is down at that moment the retry is lost and the failed delivery is
  acked once Redis returns. The guard sees that no retry was enqueued and
  sends it itself, waiting for Redis with backoff as Dramatiq's own ack does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import SkipMessage

from ..errors import ScalejobsError, StoreUnavailable
from .deliveries import DeliveryLedger, Started, running_value
from .values import Poisoned

logger = logging.getLogger(__name__)

# Seconds between refreshes of the set of messages not to run.
POISON_REFRESH_SECONDS = 1.0
# Seconds between sends of the deliveries started and ended: a process that dies sooner
# after a job starts is not counted as dying under it. Waking less often costs the job
# threads fewer GIL hand-offs than waking on every job.
TRACK_SECONDS = 0.01
# Delay (ms) of a retry sent again after Redis refused it: the outage already made the job wait.
RESEND_DELAY_MS = 1000
# First and longest wait (s) between attempts to send a retry while Redis is away.
RESEND_BACKOFF = 0.5
RESEND_MAX_BACKOFF = 5.0
# Errors that mean Redis is away, not that the message is wrong.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, StoreUnavailable)


class PoisonMessage(ScalejobsError, SkipMessage):
    """Raised instead of running a message whose workers died under it more than ``MAX_DEATHS`` times."""

    @classmethod
    def of(cls, actor: str, deaths: int, max_deaths: int) -> PoisonMessage:
        """Return the error that says why the message of ``actor`` is dead-lettered."""
        return cls(
            f"{actor}: its worker died under it {deaths} times, more than SCALEJOBS['RELIABILITY']['MAX_DEATHS'] "
            f"= {max_deaths}; dead-lettered instead of run again."
        )


@dataclass(slots=True)
class _Running:
    message_id: str
    redis_id: str
    tracked: bool = False
    failed: bool = False
    retry_sent: bool = False


class DeliveryGuard:
    """The deliveries running in this process, one per worker thread."""

    def __init__(
        self,
        ledger: DeliveryLedger | None = None,
        *,
        broker_id: str = "",
        max_deaths: int | None = None,
        resend_retries: bool = False,
    ) -> None:
        self.ledger = ledger
        self.broker_id = broker_id
        self.max_deaths = max_deaths
        self.resend_retries = resend_retries
        self._running: dict[int, _Running] = {}
        self._poison: dict[str, int] = {}
        # Appended by job threads without a lock; drained by the tracker thread or a flush.
        self._changes: deque[tuple[str, str, str]] = deque()
        self._sending = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        """Start sending delivery changes and refreshing the set of messages not to run."""
        if self.ledger is not None and self.max_deaths is not None:
            threading.Thread(target=self._track, name="scalejobs-deliveries", daemon=True).start()
            threading.Thread(target=self._refresh, name="scalejobs-poison", daemon=True).start()

    def begin(self, message: dramatiq.MessageProxy) -> None:
        """Record the delivery of ``message`` on this thread; raise ``PoisonMessage`` if it must not run."""
        redis_id = message.options.get("redis_message_id", "")
        state = self._running[threading.get_ident()] = _Running(message.message_id, redis_id)
        if self.ledger is None:
            return
        deaths = self._poison.get(message.message_id)
        if deaths is not None and self.max_deaths is not None:
            self._poisoned(message, deaths, self.max_deaths)
        if redis_id:
            state.tracked = True
            self._changes.append(("start", redis_id, running_value(message.message_id, message.actor_name, message.queue_name)))

    def enqueued(self, message: dramatiq.Message[Any]) -> None:
        """Note that the message running on this thread was enqueued again (a retry or a postponement)."""
        state = self._running.get(threading.get_ident())
        if state is not None and state.message_id == message.message_id:
            state.retry_sent = True

    def processed(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, exception: BaseException | None) -> None:
        """After ``Retries`` ran: send the retry it meant to send, if Redis refused it."""
        state = self._running.get(threading.get_ident())
        if state is None or state.message_id != message.message_id:
            return
        state.failed = exception is not None
        if state.failed and self.resend_retries and not message.failed and not state.retry_sent:
            self._resend(broker, message)

    def settled(self, message: dramatiq.MessageProxy) -> None:
        """End the delivery of ``message`` when this thread acks or nacks it."""
        ident = threading.get_ident()
        state = self._running.get(ident)
        if state is None or state.message_id != message.message_id:
            return  # a consumer thread moving a delayed message, or a message it could not run
        del self._running[ident]
        if state.tracked:
            self._changes.append(("end", state.redis_id, ""))

    def stopping(self) -> None:
        """End every running delivery now: whatever happens to them next, the shutdown caused it."""
        for state in list(self._running.values()):
            if state.tracked:
                state.tracked = False
                self._changes.append(("end", state.redis_id, ""))
        self.flush()

    def stop(self) -> None:
        """Stop the background threads and send what is pending."""
        self._stopping.set()
        self.flush()

    def flush(self) -> None:
        """Send the delivery changes pending now."""
        with self._sending:
            changes = [self._changes.popleft() for _ in range(len(self._changes))]
            if changes:
                self._send_changes(changes)

    def _poisoned(self, message: dramatiq.MessageProxy, deaths: int, max_deaths: int) -> None:
        error = PoisonMessage.of(message.actor_name, deaths, max_deaths)
        logger.error("scalejobs: message %s of %s: %s", message.message_id, message.actor_name, error)
        assert self.ledger is not None
        poisoned = Poisoned(message_id=message.message_id, actor=message.actor_name, queue=message.queue_name, deaths=deaths, at=time.time())
        try:
            self.ledger.record_poisoned(poisoned)
            self.ledger.forget(message.message_id)
        except redis.RedisError as failure:
            logger.warning("scalejobs: could not record poisoned message %s: %s", message.message_id, failure)
        self._poison.pop(message.message_id, None)
        message.fail()
        raise error

    def _send_changes(self, changes: list[tuple[str, str, str]]) -> None:
        if self.ledger is None:
            return
        started: dict[str, str] = {}
        ended: list[str] = []
        for kind, redis_id, value in changes:
            if kind == "start":
                started[redis_id] = value
            elif started.pop(redis_id, None) is None:
                ended.append(redis_id)  # started in an earlier batch
        pairs: list[Started] = list(started.items())
        if not pairs and not ended:
            return
        try:
            self.ledger.track(self.broker_id, pairs, ended)
        except redis.RedisError as error:
            logger.warning("scalejobs: could not record %d delivery changes: %s", len(changes), error)

    def _track(self) -> None:
        while not self._stopping.wait(TRACK_SECONDS):
            self.flush()

    def _refresh(self) -> None:
        assert self.ledger is not None and self.max_deaths is not None
        while True:
            try:
                self._poison = self.ledger.poison(self.max_deaths)
            except redis.RedisError:
                pass  # Redis is away; the jobs cannot start either
            if self._stopping.wait(POISON_REFRESH_SECONDS):
                return

    def _resend(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        wait = RESEND_BACKOFF
        # The broker enqueues a Message: the one behind the worker's proxy, not the proxy itself.
        retry: dramatiq.Message[Any] = message.copy()
        while True:
            try:
                broker.enqueue(retry, delay=RESEND_DELAY_MS)
            except UNREACHABLE as error:
                logger.warning(
                    "scalejobs: the retry of message %s did not reach Redis (%s); trying again in %.1f s (pid %s).",
                    message.message_id,
                    error,
                    wait,
                    os.getpid(),
                )
                time.sleep(wait)
                wait = min(wait * 2, RESEND_MAX_BACKOFF)
                continue
            logger.warning("scalejobs: sent the retry of message %s that Redis had refused.", message.message_id)
            return
