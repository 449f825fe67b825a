"""Give a job back to its queue, untouched, when its ECS task is going away; then stop fetching.

When ECS refuses to protect a task (it chose the task for scale-in) or the
task's SIGTERM arrives while a job waits for its claim, the job must not
start: the stop that follows would cut it short. ``StandDown.hand_back``
sends the message again at once, unchanged (same id, same retry count), as
the throttle's postponement does, and ``HandedBack`` (a ``SkipMessage``)
then acks the delivery without running the actor: neither a retry nor a
failure, no retry budget used, and ``Unique`` sees a re-send that keeps its
lock. (Requeueing the delivery itself races: this process may fetch it
again before the skip's ack, and that ack would then delete it.)

The process also stops taking messages: its worker threads pause once their
current job ends (a consumer pauses only when its queue runs dry, so the
threads must), and so do its consumers; at most the prefetched messages
wait in memory, and SIGTERM puts them back on their queues. The pause lasts
``STAND_DOWN_SECONDS`` at most (a third of the broker's heartbeat timeout
when that is shorter, so a long job still running here never looks dead to
other workers). ECS sends SIGTERM within seconds of choosing a task, so the
pause normally ends with the process; if it does not, the process fetches
again and asks ECS again, and after ``verdict.HANDBACK_LIMIT`` refusals in a
row its jobs run unprotected: work never stalls.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dramatiq.middleware import SkipMessage

from ..errors import ScalejobsError

logger = logging.getLogger("scalejobs.protection")

# The longest a process stops fetching after handing a job back.
STAND_DOWN_SECONDS = 15.0


class HandedBack(ScalejobsError, SkipMessage):
    """Raised when a job must not start on a task that is going away; its message is back on its queue."""


class StandDown:
    """Hand messages back and pause a worker's consumers for a while."""

    def __init__(self, worker: Any, *, seconds: float) -> None:
        self.worker = worker
        self.seconds = seconds
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._stopping = False

    @classmethod
    def for_worker(cls, broker: Any, worker: Any) -> StandDown:
        """Return a stand-down for ``worker``, shorter than a third of the broker's heartbeat timeout."""
        heartbeat_ms = getattr(broker, "heartbeat_timeout", None)
        seconds = STAND_DOWN_SECONDS if not heartbeat_ms else min(STAND_DOWN_SECONDS, heartbeat_ms / 3000)
        return cls(worker, seconds=seconds)

    def hand_back(self, broker: Any, message: Any, reason: str) -> HandedBack | None:
        """Send ``message`` back to its queue, pause fetching, and return the exception to raise.

        Return None when the message could not be sent back: the job must then run here.
        """
        try:
            broker.enqueue(message.copy())
        except Exception as error:
            logger.warning("Could not hand %s %s back (%s); it runs here unprotected.", message.actor_name, message.message_id, error)
            return None
        with self._lock:
            first = self._timer is None and not self._stopping
            if first:
                for child in [*self.worker.workers, *self.worker.consumers.values()]:
                    child.pause()
                self._timer = threading.Timer(self.seconds, self._resume)
                self._timer.daemon = True
                self._timer.start()
        if first:
            logger.warning(
                "Handed %s %s back to queue %r (%s); this process takes no messages for up to %.0f s.",
                message.actor_name, message.message_id, message.queue_name, reason, self.seconds,
            )
        else:
            logger.info("Handed %s %s back to queue %r (%s).", message.actor_name, message.message_id, message.queue_name, reason)
        return HandedBack(f"handed back: {reason}")

    @property
    def active(self) -> bool:
        """Whether the process is standing down: any message that reaches a thread goes back."""
        return self._timer is not None

    def _resume(self) -> None:
        with self._lock:
            self._timer = None
            if self._stopping:
                return
            for child in [*self.worker.workers, *self.worker.consumers.values()]:
                child.resume()
        logger.info("Taking messages again after a stand-down of %.0f s.", self.seconds)

    def stop(self) -> None:
        """Never resume: the worker is shutting down."""
        with self._lock:
            self._stopping = True
            if self._timer is not None:
                self._timer.cancel()
