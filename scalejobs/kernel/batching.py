"""Send releases from one background thread, many per Redis round trip.

A worker thread that finishes a job should not wait on Redis to give back
what the job held: every blocking call costs it a GIL hand-off among its
sibling threads, which on a busy worker costs more than the call itself.
``Batcher`` queues the work in memory and one daemon thread sends whatever
has piled up in one call, so a release lands one round trip after the job
ends (plus a ``LINGER`` to gather company), and a busy worker pays one
round trip for many jobs. Both the unique
and the throttle slices release this way.

What is queued and not yet sent when a process dies is lost; the locks and
slots it would have freed lapse at their TTL, as they would if the process
had died a moment earlier, inside the job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Most items sent in one call, so one call stays short.
BATCH = 500
# Seconds the thread waits, once woken, for more items to share the call: on a
# busy worker each wake-up costs the job threads a GIL hand-off too.
LINGER = 0.002


class Batcher(Generic[T]):
    """Hand queued items to ``send`` in batches, from a daemon thread started on first use."""

    def __init__(self, send: Callable[[list[T]], None], *, name: str) -> None:
        self._send = send
        self._name = name
        self._items: list[T] = []
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._busy = False

    def put(self, item: T) -> None:
        """Queue ``item``; it is sent within one round trip, or with the next batch."""
        with self._lock:
            self._items.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._ready.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is sent; tell whether it was within ``timeout``."""
        with self._lock:
            return self._ready.wait_for(lambda: not self._items and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._ready.wait_for(lambda: bool(self._items))
                self._busy = True
            time.sleep(LINGER)
            with self._lock:
                batch, self._items = self._items[:BATCH], self._items[BATCH:]
            try:
                self._send(batch)
            except Exception:
                logger.exception("%s could not send %d releases; they lapse at their TTL.", self._name, len(batch))
            finally:
                with self._lock:
                    self._busy = False
                    self._ready.notify_all()
