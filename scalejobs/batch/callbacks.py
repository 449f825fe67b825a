"""Send the callbacks a batch fired, and sweep up those whose sender died first.

A callback fires inside the Lua call that settles a job (``engine``), so the
process that made the call sends it at once; if that process dies before it
has said so, ``CallbackSweep`` (a thread in every worker) sends it again
after ``RESEND_AFTER_SECONDS``. The callback message carries
``batch_callback`` in its options, and the ``Batches`` middleware lets only
the first copy of it run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import dramatiq
import redis

from .engine import BatchEngine

logger = logging.getLogger(__name__)

# Seconds between two looks for callbacks fired and not sent.
SWEEP_SECONDS = 5.0
# The message option that names the callback a message runs: "<batch id>|<kind>".
CALLBACK_OPTION = "batch_callback"


def send_fired(engine: BatchEngine, fired: Iterable[tuple[str, str]], broker: dramatiq.Broker | None = None) -> None:
    """Send each fired ``(batch id, kind)`` callback with the batch's status, then note it sent."""
    for batch_id, kind in fired:
        try:
            send_callback(engine, batch_id, kind, broker or dramatiq.get_broker())
        except (redis.RedisError, dramatiq.errors.DramatiqError) as error:
            # It stays due: the sweep sends it.
            logger.warning("scalejobs: could not send the %s callback of batch %s yet: %s", kind, batch_id, error)


def send_callback(engine: BatchEngine, batch_id: str, kind: str, broker: dramatiq.Broker) -> None:
    """Send the ``kind`` callback of the batch, with its status as it is now."""
    status = engine.status(batch_id)
    if status is None or kind not in status.callbacks:
        engine.sent(batch_id, kind)
        return
    actor = broker.get_actor(status.callbacks[kind])
    options: dict[str, Any] = {CALLBACK_OPTION: f"{batch_id}|{kind}"}
    message = actor.message_with_options(args=(batch_id, status.as_dict()), **options)
    broker.enqueue(message)
    engine.sent(batch_id, kind)


class CallbackSweep:
    """Send, from a daemon thread, the callbacks that stayed due too long."""

    def __init__(self, engine: BatchEngine, broker: dramatiq.Broker) -> None:
        self.engine = engine
        self.broker = broker
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scalejobs-batch-sweep", daemon=True)

    def start(self) -> None:
        """Start sweeping."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping."""
        self._stopping.set()

    def sweep(self) -> int:
        """Send the callbacks overdue now; return how many."""
        overdue = self.engine.overdue()
        for batch_id, kind in overdue:
            logger.warning("scalejobs: sending the %s callback of batch %s again: its first sender did not confirm it", kind, batch_id)
        send_fired(self.engine, overdue, self.broker)
        return len(overdue)

    def _run(self) -> None:
        while not self._stopping.wait(SWEEP_SECONDS):
            try:
                self.sweep()
            except redis.RedisError as error:
                logger.warning("scalejobs: batch callback sweep failed: %s", error)
