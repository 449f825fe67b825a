"""Consume one queue: batched fetches while busy, a blocking wait while idle.

Dramatiq's consumer thread calls ``next()`` in a loop; between calls it
moves due delayed messages and checks whether it should stop. So every
``next()`` returns within the worker timeout (Dramatiq's ``timeout``), and
earlier when a delayed message this consumer handed out comes due; the
blocking pop itself may stay outstanding across calls (see ``waiter``).

- Busy: fetch a batch once half the prefetch is free (or a few ms after
  any of it is), woken by the acks instead of sleeping through Dramatiq's
  back-off.
- Idle (the last fetch found nothing): wait for a wake-up token; fetch
  when one comes, or when the pop times out in Redis (the poll interval).
- Unreadable: a payload no worker could run is dead-lettered at once, with
  the reason (see ``unreadable``), instead of staying in the ack set.
- Acks: while busy, the worker thread that finished a message only notes
  its id, and the next fetch (due within ``BATCH_WAIT`` of the first
  freed slot) acks every noted id in the same script: no round trip per
  job. While idle, and once closed, a worker thread acks at once, as
  Dramatiq does. An id stays in this broker's ack set in Redis until its
  ack is sent, so a crash loses no message: a worker killed with acks
  noted leaves those messages to be redelivered, like every message it
  had fetched (they run again: at least once, as always).

Over 200 lines: the busy, idle and delayed paths share one loop.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import redis
from dramatiq.broker import Consumer, MessageProxy
from dramatiq.common import current_millis
from dramatiq.errors import ConnectionClosed, DecodeError
from dramatiq.logging import get_logger
from dramatiq.message import Message

from ..encryption import opaque
from .unreadable import BURIED_BYTES, malformed, undecodable
from .waiter import Wakeup

if TYPE_CHECKING:
    from .broker import RedisBroker
    from .waiter import Waiter

#: Seconds a consumer whose prefetch is partly free waits for more acks
#: before it fetches: long enough to batch the acks of short jobs.
BATCH_WAIT = 0.005


class PushConsumer(Consumer):
    """A consumer of one queue of a ``scalejobs.dispatch.RedisBroker``."""

    def __init__(self, broker: RedisBroker, queue_name: str, prefetch: int, timeout: int) -> None:
        self.logger = get_logger(__name__, type(self))
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = prefetch
        self.timeout = timeout
        # Refill once half the prefetch is free, so batches stay large while the
        # worker threads still have queued work, or once a partly free prefetch
        # has waited BATCH_WAIT, so a long job never keeps a thread idle.
        self.refill_at = max(1, prefetch // 2)
        self._partly_free_since: float | None = None
        self._cache: deque[tuple[str, bytes | None]] = deque()
        # Redis ids handed to the worker and not yet acked, nacked or requeued.
        self._unsettled: set[str] = set()
        # Delayed messages handed out: eta by redis id, and a heap to find the first.
        self._etas: dict[str, int] = {}
        self._eta_heap: list[tuple[int, str]] = []
        self._reported_due: str | None = None
        self._freed = threading.Event()
        self._wake_on_any_ack = True
        self._waiter: Waiter | None = None
        # Ids acked by worker threads and not yet sent; noted only while the
        # last fetch found messages, so a fetch is due to carry them.
        self._acks_lock = threading.Lock()
        self._acks: list[str] = []
        self._batching_acks = False

    @property
    def outstanding_message_count(self) -> int:
        """Count messages fetched from Redis and not yet settled."""
        return len(self._unsettled) + len(self._cache)

    def __next__(self) -> MessageProxy | None:
        try:
            return self._next()
        except redis.ConnectionError as error:
            raise ConnectionClosed(error) from None

    def ack(self, message: MessageProxy) -> None:
        redis_id = message.options["redis_message_id"]
        with self._acks_lock:
            noted = self._batching_acks
            if noted:
                self._acks.append(redis_id)
        if noted:
            self._settle(redis_id)
            return
        try:
            # Ack on this consumer's queue: a delayed message's own queue_name
            # names its canonical queue.
            self.broker.do_ack(self.queue_name, redis_id)
        except redis.ConnectionError as error:
            raise ConnectionClosed(error) from None
        finally:
            self._settle(redis_id)

    def nack(self, message: MessageProxy) -> None:
        redis_id = message.options["redis_message_id"]
        try:
            self.broker.do_nack(self.queue_name, redis_id)
        except redis.ConnectionError as error:
            raise ConnectionClosed(error) from None
        finally:
            self._settle(redis_id)

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        redis_ids = [message.options["redis_message_id"] for message in messages]
        if not redis_ids:
            return
        self.logger.debug("Re-enqueueing %r on queue %r.", redis_ids, self.queue_name)
        try:
            self.broker.do_requeue(self.queue_name, *redis_ids)
        except redis.ConnectionError as error:
            raise ConnectionClosed(error) from None
        for redis_id in redis_ids:
            self._settle(redis_id)

    def close(self) -> None:
        """Put back fetched messages never handed out; drop the waiter, passing on an unused token.

        Dramatiq's own consumer leaves such messages in its ack set until its
        heartbeat expires and a maintenance pass redelivers them.
        """
        cached = [redis_id for redis_id, _ in self._cache]
        self._cache.clear()
        waiter, self._waiter = self._waiter, None
        passed_on = waiter is not None and waiter.close()
        acked = self._stop_batching_acks()
        try:
            if acked:
                self.broker.do_ack_many(self.queue_name, acked)
        except redis.ConnectionError:
            self.logger.warning("Could not ack %d messages of queue %r: they will run again.", len(acked), self.queue_name)
        try:
            if cached:
                self.broker.do_requeue(self.queue_name, *cached)
            elif passed_on:
                self.broker.wake(self.queue_name)
        except redis.ConnectionError:
            self.logger.warning("Could not put back %d fetched messages of queue %r.", len(cached), self.queue_name)

    def _next(self) -> MessageProxy | None:
        deadline = time.monotonic() + self.timeout / 1000
        while True:
            if self._cache:
                redis_id, data = self._cache.popleft()
                message = self._read(redis_id, data)
                if message is None:
                    continue
                return self._hand_out(message)

            wait = self._wait_limit(deadline)
            if wait <= 0:
                return None
            if self._waiter is not None and self._waiter.pending:
                if self._waiter.wait(wait) is Wakeup.PENDING:
                    return None
                continue

            free = self.prefetch - self.outstanding_message_count
            pause = self._batch_pause(free, wait)
            if pause > 0:
                self._freed.clear()
                self._wake_on_any_ack = free <= 0
                if self.prefetch - self.outstanding_message_count == free and not self._freed.wait(pause) and pause >= wait:
                    return None
                continue

            self._partly_free_since = None
            self._cache.extend(self._fetch(free))
            if not self._cache and self._idle_waiter().wait(wait) is Wakeup.PENDING:
                return None

    def _read(self, redis_id: str, data: bytes | None) -> Message[Any] | None:
        """Return the message stored as ``data``; dead-letter it and return ``None`` if no worker can run it."""
        if data is None:
            self.logger.warning("Skipped a message of queue %r whose payload is gone.", self.queue_name)
            self.broker.do_ack(self.queue_name, redis_id)
            self._freed.set()
            return None
        try:
            message = Message.decode(data)
        except DecodeError as error:
            self._bury(redis_id, data, undecodable(data, error))
            return None
        problem = malformed(message, self.queue_name)
        if problem:
            self._bury(redis_id, data, problem)
            return None
        if message.options.get("redis_message_id") != redis_id:
            # Acks go by this id: a payload naming another one would stay in the ack set forever.
            message = message.copy(options={"redis_message_id": redis_id})
        return message

    def _bury(self, redis_id: str, data: bytes, reason: str) -> None:
        self.logger.error("Dead-lettered message %s of queue %r, which no worker can run: %s", redis_id, self.queue_name, reason)
        if self.broker.bury(self.queue_name, redis_id, data[:BURIED_BYTES]):
            # Not a hook Dramatiq declares, so only the middleware that define it hear of it.
            for middleware in self.broker.middleware:
                hook = getattr(middleware, "after_bury_message", None)
                if hook is None:
                    continue
                try:
                    hook(self.broker, self.queue_name, redis_id, reason)
                except Exception:
                    self.logger.critical("Unexpected failure in after_bury_message of %r.", middleware, exc_info=True)
        self._freed.set()
        return None

    def _fetch(self, count: int) -> list[tuple[str, bytes | None]]:
        """Fetch up to ``count`` messages, sending the noted acks along; stop noting acks when none came."""
        with self._acks_lock:
            acked, self._acks = self._acks, []
        try:
            fetched = self.broker.fetch_with_ids(self.queue_name, count, acked)
        except BaseException:
            with self._acks_lock:
                self._acks[:0] = acked
            raise
        if fetched:
            with self._acks_lock:
                self._batching_acks = True
            return fetched
        # Idle from now on: no fetch is due soon, so acks noted meanwhile go now.
        late = self._stop_batching_acks()
        if late:
            self.broker.do_ack_many(self.queue_name, late)
        return fetched

    def _stop_batching_acks(self) -> list[str]:
        """Have worker threads ack at once from now on; return the ids noted and not yet sent."""
        with self._acks_lock:
            self._batching_acks = False
            acked, self._acks = self._acks, []
        return acked

    def _hand_out(self, message: Message[Any]) -> MessageProxy:
        message = opaque(message)
        redis_id = message.options["redis_message_id"]
        self._unsettled.add(redis_id)
        if message.options.get("eta") is not None:
            eta = message.options["eta"]
            # Dramatiq's consumer thread runs a malformed eta at once; so do we.
            due = math.ceil(eta) if isinstance(eta, (int, float)) else current_millis()
            self._etas[redis_id] = due
            heapq.heappush(self._eta_heap, (due, redis_id))
        return MessageProxy(message)

    def _settle(self, redis_id: str) -> None:
        self._unsettled.discard(redis_id)
        self._etas.pop(redis_id, None)
        # Wake the consumer only when it may act: at the first free slot of a
        # full prefetch (it starts its BATCH_WAIT) or at the refill mark (it
        # fetches at once). Waking it at every ack cost a thread switch per job.
        if self._wake_on_any_ack or self.prefetch - self.outstanding_message_count >= self.refill_at:
            self._freed.set()

    def _batch_pause(self, free: int, wait: float) -> float:
        """Return how long to wait for more acks before fetching; 0 means fetch now."""
        if free >= self.refill_at:
            return 0.0
        if free <= 0:
            return wait
        now = time.monotonic()
        if self._partly_free_since is None:
            self._partly_free_since = now
        return min(wait, self._partly_free_since + BATCH_WAIT - now)

    def _wait_limit(self, deadline: float) -> float:
        """Return seconds until ``deadline`` or the first eta handed out, whichever is sooner."""
        wait = deadline - time.monotonic()
        heap = self._eta_heap
        while heap:
            due, redis_id = heap[0]
            if redis_id not in self._etas:
                heapq.heappop(heap)
                continue
            if due > current_millis():
                return min(wait, (due - current_millis()) / 1000)
            if self._reported_due != redis_id:
                self._reported_due = redis_id
                return 0.0
            # Reported due once and still unsettled: the consumer thread keeps
            # it for a later pass, so stop waking early for it.
            heapq.heappop(heap)
        return wait

    def _idle_waiter(self) -> Waiter:
        if self._waiter is None:
            self._waiter = self.broker.waiter(self.queue_name)
        return self._waiter
