"""Know which jobs this worker process runs, and how far along they are.

The Dashboard middleware registers each message as its job starts and
forgets it as it ends; ``scalejobs.progress()`` updates the entry of the job
running in the calling thread. All of it is in memory: the heartbeat thread
publishes a snapshot to Redis, so a job that reports progress in a tight
loop costs nothing but an attribute write.
"""

from __future__ import annotations

import contextvars
import math
import threading
from collections.abc import Sequence
from typing import Any

from ..clock import Clock, system_clock
from .values import Progress, RunningJob

# Progress messages longer than this are cut, to keep heartbeats small.
MAX_MESSAGE_LENGTH = 200


class _Entry:
    """One running job; mutated by its own thread, read by the heartbeat."""

    __slots__ = ("message_id", "queue", "actor", "args", "kwargs", "started_at", "progress", "clock")

    def __init__(self, *, message_id: str, queue: str, actor: str, args: Sequence[Any], kwargs: dict[str, Any], clock: Clock) -> None:
        self.message_id = message_id
        self.queue = queue
        self.actor = actor
        self.args = args
        self.kwargs = kwargs
        self.clock = clock
        self.started_at = clock()
        self.progress: Progress | None = None


_current: contextvars.ContextVar[_Entry | None] = contextvars.ContextVar("scalejobs_running_job", default=None)


class RunningJobs:
    """The jobs this process is running now, by message id."""

    def __init__(self, clock: Clock = system_clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def start(self, *, message_id: str, queue: str, actor: str, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
        """Register a job starting in the calling thread."""
        entry = _Entry(message_id=message_id, queue=queue, actor=actor, args=args, kwargs=kwargs, clock=self.clock)
        with self._lock:
            self._entries[message_id] = entry
        _current.set(entry)

    def finish(self, message_id: str) -> float:
        """Forget a job that ended (or was skipped) in the calling thread; return the seconds it ran (0 if unknown)."""
        with self._lock:
            entry = self._entries.pop(message_id, None)
        _current.set(None)
        return 0.0 if entry is None else max(0.0, self.clock() - entry.started_at)

    def __len__(self) -> int:
        return len(self._entries)

    def snapshot(self, *, worker_id: str, host: str, pid: int) -> tuple[RunningJob, ...]:
        """Return the running jobs as values, oldest first."""
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda entry: entry.started_at)
        return tuple(
            RunningJob(
                message_id=entry.message_id,
                queue=entry.queue,
                actor=entry.actor,
                args=entry.args,
                kwargs=entry.kwargs,
                started_at=entry.started_at,
                progress=entry.progress,
                worker_id=worker_id,
                host=host,
                pid=pid,
            )
            for entry in entries
        )


def progress(done: float, total: float | None = None, message: str = "") -> None:
    """Report how far the running job has got; the admin shows it as a bar.

    ``done`` and ``total`` are in any unit (rows, files, percent); leave
    ``total`` out when it is unknown. Outside a worker this does nothing,
    so jobs can call it unconditionally (in tests, in shells).
    """
    if isinstance(done, bool) or not isinstance(done, (int, float)) or not math.isfinite(done) or done < 0:
        raise ValueError(f"done: expected a number >= 0, got {done!r}")
    if total is not None and (isinstance(total, bool) or not isinstance(total, (int, float)) or not total > 0):
        raise ValueError(f"total: expected a number > 0 or None, got {total!r}")
    entry = _current.get()
    if entry is None:
        return
    entry.progress = Progress(done=done, total=total, message=str(message)[:MAX_MESSAGE_LENGTH], updated_at=entry.clock())
