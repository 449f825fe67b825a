"""Count processed and failed jobs per minute, cheaply, across all workers.

The hot path only bumps an in-memory counter under a lock. Each heartbeat
drains the counter into Redis with one pipelined ``HINCRBY`` pair and an
``EXPIRE`` per minute touched, so Redis sees a few commands per worker
process per heartbeat however many jobs ran. A worker killed outright loses
at most one heartbeat's counts.

Keys: ``<prefix>:dashboard:minute:<epoch minute>``, a hash with the fields
``processed`` (attempts that returned) and ``failed`` (attempts that raised,
retried or not), expiring after the configured retention, to which the
leader adds ``recovered`` (dead workers' jobs put back) and
``recovery_delay_ms`` (the longest wait from a death to its requeue) when it
recovers jobs; and ``<prefix>:dashboard:actors``, a hash of running totals per
actor since the key was created (``processed:<actor>``, ``failed:<actor>``,
and ``seconds:<actor>``, the summed duration of both), which never expires:
the metrics slice reads it as counters.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping

import redis

from ..clock import Clock
from ..kernel.lua import load_script
from ..kernel.replies import text
from .keys import DashboardKeys
from .values import ActorTotals, MinuteCount

Counts = Mapping[int, tuple[int, int]]
# Actor -> (processed, failed, seconds spent on both).
ActorCounts = Mapping[str, tuple[int, int, float]]


class MinuteCounter:
    """Processed and failed counts per epoch minute, held in memory until drained."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
        self._actors: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])

    def count(self, *, failed: bool, actor: str = "", seconds: float = 0.0) -> None:
        """Count one finished attempt in the current minute, and in ``actor``'s totals if given."""
        minute = int(self.clock() // 60)
        with self._lock:
            self._counts[minute][int(failed)] += 1
            if actor:
                totals = self._actors[actor]
                totals[int(failed)] += 1
                totals[2] += seconds

    def drain_actors(self) -> dict[str, tuple[int, int, float]]:
        """Return and forget the per-actor counts so far: actor -> (processed, failed, seconds)."""
        with self._lock:
            actors, self._actors = self._actors, defaultdict(lambda: [0, 0, 0.0])
        return {actor: (int(row[0]), int(row[1]), row[2]) for actor, row in actors.items()}

    def restore_actors(self, actors: ActorCounts) -> None:
        """Add back per-actor counts that could not be written."""
        with self._lock:
            for actor, (processed, failed, seconds) in actors.items():
                row = self._actors[actor]
                row[0] += processed
                row[1] += failed
                row[2] += seconds

    def drain(self) -> dict[int, tuple[int, int]]:
        """Return and forget the counts so far: minute -> (processed, failed)."""
        with self._lock:
            counts, self._counts = self._counts, defaultdict(lambda: [0, 0])
        return {minute: (pair[0], pair[1]) for minute, pair in counts.items()}

    def restore(self, counts: Counts) -> None:
        """Add back counts that could not be written, to try again next time."""
        with self._lock:
            for minute, (processed, failed) in counts.items():
                pair = self._counts[minute]
                pair[0] += processed
                pair[1] += failed


def write_counts(pipe: redis.client.Pipeline, keys: DashboardKeys, counts: Counts, *, retention_seconds: int) -> None:
    """Queue the commands adding ``counts`` to the per-minute hashes on ``pipe``."""
    for minute, (processed, failed) in counts.items():
        key = keys.minute(minute)
        if processed:
            pipe.hincrby(key, "processed", processed)
        if failed:
            pipe.hincrby(key, "failed", failed)
        pipe.expire(key, retention_seconds)


def write_actor_counts(pipe: redis.client.Pipeline, keys: DashboardKeys, actors: ActorCounts) -> None:
    """Queue the commands adding ``actors`` to the running per-actor totals on ``pipe``."""
    for actor, (processed, failed, seconds) in actors.items():
        if processed:
            pipe.hincrby(keys.actors, f"processed:{actor}", processed)
        if failed:
            pipe.hincrby(keys.actors, f"failed:{actor}", failed)
        if seconds:
            pipe.hincrbyfloat(keys.actors, f"seconds:{actor}", seconds)


class Throughput:
    """Read the per-minute counts back."""

    def __init__(self, client: redis.Redis, keys: DashboardKeys, clock: Clock) -> None:
        self.client = client
        self.keys = keys
        self.clock = clock

    def count_recovery(self, *, at: float, messages: int, delay: float | None, retention_seconds: int = 86400) -> None:
        """Count ``messages`` of a dead worker put back at ``at``, ``delay`` seconds after its death."""
        key = self.keys.minute(int(at // 60))
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "recovered", messages)
            if delay is not None:
                longest = load_script(self.client, __package__, "longest")
                longest(keys=[key], args=["recovery_delay_ms", max(0, int(delay * 1000))], client=pipe)
            pipe.expire(key, retention_seconds)
            pipe.execute()

    def minutes(self, count: int = 60) -> list[MinuteCount]:
        """Return the last ``count`` minutes, oldest first, the current one included."""
        current = int(self.clock() // 60)
        minutes = range(current - count + 1, current + 1)
        with self.client.pipeline(transaction=False) as pipe:
            for minute in minutes:
                pipe.hmget(self.keys.minute(minute), "processed", "failed", "recovered", "recovery_delay_ms")
            rows = pipe.execute()
        return [
            MinuteCount(
                minute=minute * 60.0,
                processed=int(processed or 0),
                failed=int(failed or 0),
                recovered=int(recovered or 0),
                recovery_delay=None if delay is None else int(delay) / 1000,
            )
            for minute, (processed, failed, recovered, delay) in zip(minutes, rows)
        ]

    def actors(self) -> list[ActorTotals]:
        """Return every actor's running totals, by name: one ``HGETALL`` of a hash sized by the actors."""
        rows: dict[str, dict[str, float]] = {}
        for field, value in self.client.hgetall(self.keys.actors).items():
            kind, _, actor = text(field).partition(":")
            rows.setdefault(actor, {})[kind] = float(value)
        return [
            ActorTotals(
                actor=actor,
                processed=int(row.get("processed", 0)),
                failed=int(row.get("failed", 0)),
                seconds=row.get("seconds", 0.0),
            )
            for actor, row in sorted(rows.items())
        ]
