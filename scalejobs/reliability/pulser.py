"""Send this worker process's pulse every ``PULSE_SECONDS`` from a thread of its own.

A thread, not the job threads: a job that runs pure Python for minutes
still lets it run, since the interpreter hands the GIL to another thread
every few milliseconds (``sys.getswitchinterval()``). The limit that
remains: a single C call that holds the GIL (a long ``re`` match, some C
extensions) for longer than ``SILENCE_SECONDS`` stops the pulse, and the
process is presumed dead; so is a process paused (SIGSTOP) or cut off from
Redis that long. Its jobs then run again elsewhere while it may finish them
too: at-least-once, as after any redelivery. When it pulses again it
learns so, logs it, and the recovery stats count it (``resumed``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from .pulses import Presumed, Pulses

logger = logging.getLogger(__name__)


class PulseThread:
    """Pulse for ``broker_id`` until stopped, then leave the pulses (the process stopped cleanly)."""

    def __init__(
        self,
        pulses: Pulses,
        *,
        leave: Callable[[str], bool],
        broker_id: str,
        interval: float,
        queues: Callable[[], list[str]],
        stats_key: str,
    ) -> None:
        self.pulses = pulses
        self.leave = leave
        self.broker_id = broker_id
        self.interval = interval
        self.queues = queues
        self.stats_key = stats_key
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scalejobs-pulse", daemon=True)
        self._unreachable = False

    def start(self) -> None:
        """Pulse once now, before any job starts, then keep pulsing."""
        self.pulse()
        self._thread.start()

    def stop(self) -> None:
        """Stop pulsing and leave, unless messages are still unacknowledged: the silence then recovers them."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 5)
        try:
            if not self.leave(self.broker_id):
                logger.info("scalejobs: this process stops with unacknowledged messages; they go back on their queues in seconds.")
        except redis.RedisError as error:
            logger.warning("scalejobs: could not take this process off the pulses (its silence will look like death): %s", error)

    def pulse(self) -> None:
        """Send one pulse; log a recovery of this process's jobs that it survived."""
        try:
            presumed = self.pulses.pulse(self.broker_id, queues=self.queues(), stats_key=self.stats_key)
        except (redis.RedisError, OSError) as error:
            if not self._unreachable:
                logger.warning("scalejobs: the pulse of this process cannot reach Redis (%s); retrying every %.1f s.", error, self.interval)
                self._unreachable = True
            return
        self._unreachable = False
        if presumed is not None:
            _resumed(presumed)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.pulse()
            except Exception:  # a thread boundary: the next pulse may well succeed
                logger.exception("scalejobs: the pulse of this process failed; pulsing on.")


def _resumed(presumed: Presumed) -> None:
    logger.warning(
        "scalejobs: this process was silent %.1f s (paused, or cut off from Redis) and presumed dead; its %d unacknowledged "
        "message(s) were put back on their queues and may run twice: their acks here are no-ops.",
        presumed.silence,
        presumed.messages,
    )
