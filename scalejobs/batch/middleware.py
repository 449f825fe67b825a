"""``Batches``: mark and count the jobs of a batch, settle each one's outcome, run callbacks once."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import SkipMessage

from ..errors import ScalejobsError
from .callbacks import CALLBACK_OPTION, CallbackSweep, send_fired
from .handle import batch_engine_for, open_batch, run_in

logger = logging.getLogger(__name__)

# The message option that names the batch a job belongs to.
BATCH_OPTION = "batch"
# How long a worker keeps trying to record a job's outcome while Redis is away, in seconds.
SETTLE_PATIENCE = 60.0


class CallbackTaken(ScalejobsError, SkipMessage):
    """Raised instead of running a second copy of a batch callback that another message runs."""


class Batches(dramatiq.Middleware):
    """Adapt Dramatiq's hooks to the batch engine.

    List it before ``Retries`` (as ``DEFAULT_STACK`` does): after-hooks run in
    reverse order, and a job's outcome is known once ``Retries`` has acted.
    """

    def __init__(self) -> None:
        self._sweep: CallbackSweep | None = None
        # Outcomes (batch id, message id, state, origin) noted by job threads, recorded before the ack.
        self._outcomes: deque[tuple[str, str, str, str]] = deque()
        self._recording = threading.Lock()

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        batch = open_batch()
        if batch is not None and BATCH_OPTION not in message.options and CALLBACK_OPTION not in message.options and batch.joining():
            message.options[BATCH_OPTION] = batch.id

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        batch = open_batch()
        if batch is not None and message.options.get(BATCH_OPTION) == batch.id:
            batch.count(message.message_id)

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        callback = message.options.get(CALLBACK_OPTION)
        if callback is not None:
            batch_id, _, kind = callback.partition("|")
            if not batch_engine_for().claim(batch_id, kind, message.message_id):
                raise CallbackTaken(f"the {kind} callback of batch {batch_id} runs as another message; this copy is skipped.")
        run_in(message.options.get(BATCH_OPTION))

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        run_in(None)
        if BATCH_OPTION not in message.options:
            return
        if exception is None:
            self._note(message, "S")
        else:
            self._note(message, "D" if message.failed else "F")

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        run_in(None)
        if BATCH_OPTION not in message.options:
            return
        # A message skipped without failing (postponed by a throttle, a stale copy) runs later.
        if message.failed:
            self._note(message, "D")

    def before_ack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        if BATCH_OPTION in message.options:
            self._record(broker)

    def before_nack(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        if BATCH_OPTION in message.options:
            self._record(broker)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._sweep = CallbackSweep(batch_engine_for(), broker)
        self._sweep.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._sweep is not None:
            self._sweep.stop()
            self._sweep = None

    def _note(self, message: dramatiq.MessageProxy, state: str) -> None:
        self._outcomes.append((message.options[BATCH_OPTION], message.message_id, state, f"{message.actor_name}|{message.queue_name}"))

    def _record(self, broker: dramatiq.Broker) -> None:
        """Record every outcome noted so far, in one round trip, before the ack that called this.

        A job whose outcome is lost would hold its batch open for ever, so the
        ack waits: under the lock, a second consumer thread whose outcome is
        in flight waits for it too. Acks of a burst of short jobs share one
        round trip.
        """
        with self._recording:
            outcomes = [self._outcomes.popleft() for _ in range(len(self._outcomes))]
            if not outcomes:
                return
            engine = batch_engine_for()
            deadline = time.monotonic() + SETTLE_PATIENCE
            delay = 0.1
            while True:
                try:
                    fired = engine.settle_many(outcomes)
                    break
                except (redis.ConnectionError, redis.TimeoutError) as error:
                    if time.monotonic() > deadline:
                        logger.error("scalejobs: gave up recording how %d job(s) of batches ended: %s", len(outcomes), error)
                        return
                    logger.warning("scalejobs: Redis unreachable, retrying to record how %d job(s) of batches ended: %s", len(outcomes), error)
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)
        send_fired(engine, fired, broker)
