"""The values the reliability engines hand to the middleware, the admin and the chaos suite."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovery:
    """Messages put back in one move: a dead worker's, or a live worker's stranded delayed ones."""

    at: float
    worker: str
    kind: str
    queues: Mapping[str, int] = field(default_factory=dict)
    # Seconds from the worker's last sign of life to the requeue; None for stranded delayed messages.
    delay: float | None = None
    # What judged the worker dead: "pulse" (scalejobs, seconds) or "heartbeat" (Dramatiq's timeout).
    by: str = ""

    @property
    def messages(self) -> int:
        """Return how many messages went back."""
        return sum(self.queues.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryPass:
    """What one pass did; ``skipped`` says why it looked at nothing."""

    recoveries: tuple[Recovery, ...] = ()
    dead_workers: int = 0
    # The processes found dead and recovered (with or without messages), by broker id.
    workers: tuple[str, ...] = ()
    # (queue, redis id) of the messages dead-lettered instead of put back: their workers kept dying.
    poisoned: tuple[tuple[str, str], ...] = ()
    skipped: str = ""

    @property
    def messages(self) -> int:
        """Return how many messages the pass put back."""
        return sum(recovery.messages for recovery in self.recoveries)

    @property
    def queues(self) -> set[str]:
        """Return the queues (delay queues by their own name) that received messages."""
        return {queue for recovery in self.recoveries for queue, count in recovery.queues.items() if count}


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryStats:
    """Totals since the counters began; times are seconds since the epoch."""

    passes: int
    workers: int
    messages: int
    stranded: int
    poisoned: int
    # Recoveries of dead workers with a known delay, their total and longest delay in seconds.
    timed: int
    delay_total: float
    delay_max: float
    # Processes presumed dead that pulsed again (paused, not dead), and the messages recovered from them.
    resumed: int
    resumed_messages: int
    by_queue: Mapping[str, int]
    last_pass: float | None
    last_recovery: float | None

    @property
    def delay_mean(self) -> float | None:
        """Return the mean delay from a worker's death to its jobs' requeue, in seconds."""
        return self.delay_total / self.timed if self.timed else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Death:
    """A delivery whose worker process died under it; ``deaths`` counts every such delivery of the message."""

    redis_id: str
    message_id: str
    actor: str
    queue: str
    deaths: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Endangered:
    """A message a worker died under, and how often."""

    message_id: str
    deaths: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Poisoned:
    """A message dead-lettered because its workers kept dying under it; ``at`` in epoch seconds."""

    message_id: str
    actor: str
    queue: str
    deaths: int
    at: float
