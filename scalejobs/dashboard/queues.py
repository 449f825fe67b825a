"""Read and change Dramatiq's ready and delayed queues in Redis.

Reads use counters and ranges only (LLEN, HLEN, ZCARD, LRANGE, HSCAN of one
queue's hash), never a scan of the keyspace. Changes are one Lua script each.

The invariant ``promote`` and ``cancel`` keep: a delayed message runs at most
once more after the dashboard moved it, and never after it was deleted.
Workers fetch delayed messages early and hold them in memory until due, then
enqueue a copy; when the dashboard takes a message a worker holds, it records
a skip entry (message id and retry count, plus the redis id of the one copy
allowed to run) that workers load at each heartbeat and honour before
running anything. A held message due sooner than workers can learn of the
skip is refused rather than risked.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import redis

from ..clock import Clock
from ..kernel.dramatiq_keys import is_delay_queue
from ..kernel.lua import load_script
from ..kernel.replies import text
from . import payloads
from .keys import DashboardKeys
from .values import Listing, QueuedMessage, QueueSummary

# How long a skip entry outlives the due time of the copy it stops.
SKIP_MARGIN_MS = 24 * 3600 * 1000


class Outcome(enum.Enum):
    """What happened to a message the dashboard acted on."""

    DONE = "done"
    # Already fetched by a worker, moved or deleted by someone else.
    GONE = "gone"
    # Held by a worker and due before every worker could learn to skip its copy.
    DUE_SOON = "due soon"


@dataclass(frozen=True, slots=True)
class Skips:
    """Stale delayed copies workers must drop: (message id, retries) -> exempt redis id."""

    entries: dict[tuple[str, int], str] = field(default_factory=dict)

    @classmethod
    def parse(cls, members: Iterable[bytes | str]) -> Skips:
        entries: dict[tuple[str, int], str] = {}
        for member in members:
            message_id, retries, exempt = text(member).split("|", 2)
            entries[(message_id, int(retries))] = exempt
        return cls(entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def drops(self, message_id: str, retries: int, redis_id: str) -> bool:
        """Tell whether the delivery ``redis_id`` of ``message_id`` is a stale copy."""
        exempt = self.entries.get((message_id, retries))
        return exempt is not None and exempt != redis_id


def skip_member(message_id: str, retries: int, exempt: str = "") -> str:
    """Return the ``skips`` zset member for a message and its allowed copy."""
    return f"{message_id}|{retries}|{exempt}"


class QueueStore:
    """Counts, browses and acts on the ready and delayed messages of Dramatiq queues."""

    def __init__(self, client: redis.Redis, keys: DashboardKeys, clock: Clock, *, guard_seconds: float) -> None:
        self.client = client
        self.keys = keys
        self.clock = clock
        # A held delayed message due within this many seconds is left alone.
        self.guard_seconds = guard_seconds
        self._discard = load_script(client, __package__, "discard")
        self._promote = load_script(client, __package__, "promote")
        self._cancel = load_script(client, __package__, "cancel")

    def names(self, declared: Iterable[str] = ()) -> list[str]:
        """Return the queues workers have consumed, plus ``declared`` ones, sorted."""
        known = {text(name) for name in self.client.smembers(self.keys.queues)}
        return sorted(known.union(name for name in declared if not is_delay_queue(name)))

    def summaries(self, names: Sequence[str]) -> list[QueueSummary]:
        """Return the counts and latency of each queue, in two round trips."""
        keys = self.keys
        with self.client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(keys.dramatiq.queue(name))
                pipe.hlen(keys.dramatiq.messages(name))
                pipe.hlen(keys.dramatiq.delayed_messages(name))
                pipe.zcard(keys.dramatiq.dead(name))
                pipe.lindex(keys.dramatiq.queue(name), 0)
            counts = pipe.execute()
        rows = [counts[index : index + 5] for index in range(0, len(counts), 5)]
        with self.client.pipeline(transaction=False) as pipe:
            for name, row in zip(names, rows):
                pipe.hget(keys.dramatiq.messages(name), row[4] or b"")
            oldest = pipe.execute()
        summaries = []
        for name, (ready, stored, delayed, dead, first), raw in zip(names, rows, oldest):
            message = payloads.parse(text(first), raw, name) if first else None
            summaries.append(
                QueueSummary(
                    name=name,
                    ready=ready,
                    delayed=delayed,
                    in_flight=max(0, stored - ready),
                    dead=dead,
                    oldest_enqueued_at=message.enqueued_at if message else None,
                )
            )
        return summaries

    def ready(self, queue: str, *, start: int = 0, count: int = 50) -> Listing[QueuedMessage]:
        """Return ``count`` ready messages from position ``start`` (0 = next to run)."""
        start = max(0, start)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.llen(self.keys.dramatiq.queue(queue))
            pipe.lrange(self.keys.dramatiq.queue(queue), start, start + count - 1)
            total, ids = pipe.execute()
        messages = self._load(self.keys.dramatiq.messages(queue), ids, queue)
        following = start + count
        return Listing(items=tuple(messages), total=total, next_cursor=str(following) if following < total else None)

    def delayed(self, queue: str, *, cursor: str = "0", count: int = 50) -> Listing[QueuedMessage]:
        """Return about ``count`` delayed messages, soonest first within the page.

        Delayed messages have no order in Redis, so pages follow an HSCAN
        cursor; a message may show on two pages if the hash grows meanwhile.
        """
        key = self.keys.dramatiq.delayed_messages(queue)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hlen(key)
            pipe.hscan(key, int(cursor or 0), count=count)
            total, (following, found) = pipe.execute()
        messages = [payloads.parse(text(redis_id), raw, queue) for redis_id, raw in found.items()]
        ordered = sorted((m for m in messages if m), key=lambda m: m.eta or 0)
        return Listing(items=tuple(ordered), total=total, next_cursor=str(following) if following else None)

    def message(self, queue: str, redis_id: str, *, delayed: bool = False) -> QueuedMessage | None:
        """Return one ready (or delayed) message, or ``None`` when it is gone."""
        key = self.keys.dramatiq.delayed_messages(queue) if delayed else self.keys.dramatiq.messages(queue)
        return payloads.parse(redis_id, self.client.hget(key, redis_id), queue)

    def delete_ready(self, queue: str, redis_id: str) -> Outcome:
        """Delete a ready message that no worker has fetched yet."""
        removed = self._discard(keys=[self.keys.dramatiq.queue(queue), self.keys.dramatiq.messages(queue)], args=[redis_id])
        return Outcome.DONE if removed else Outcome.GONE

    def promote(self, queue: str, redis_id: str) -> Outcome:
        """Move a delayed message to the back of its ready queue, now."""
        message, raw = self._delayed(queue, redis_id)
        if message is None or raw is None or message.problem:
            return Outcome.GONE
        now_ms = int(self.clock() * 1000)
        new_id = str(uuid.uuid4())
        result = self._promote(
            keys=[
                self.keys.dramatiq.delayed(queue),
                self.keys.dramatiq.delayed_messages(queue),
                self.keys.dramatiq.queue(queue),
                self.keys.dramatiq.messages(queue),
                self.keys.skips,
            ],
            args=[
                redis_id,
                new_id,
                payloads.ready_again(raw, queue=queue, redis_id=new_id, now_ms=now_ms),
                skip_member(message.message_id, message.retries, new_id),
                self._skip_expiry(message, now_ms),
                self._due_soon(message, now_ms),
            ],
        )
        return _outcome(result)

    def cancel(self, queue: str, redis_id: str) -> Outcome:
        """Delete a delayed message, including a copy a worker holds in memory."""
        message, _ = self._delayed(queue, redis_id)
        if message is None:
            return Outcome.GONE
        now_ms = int(self.clock() * 1000)
        result = self._cancel(
            keys=[self.keys.dramatiq.delayed(queue), self.keys.dramatiq.delayed_messages(queue), self.keys.skips],
            args=[
                redis_id,
                skip_member(message.message_id, message.retries),
                self._skip_expiry(message, now_ms),
                self._due_soon(message, now_ms),
            ],
        )
        return _outcome(result)

    def _delayed(self, queue: str, redis_id: str) -> tuple[QueuedMessage | None, bytes | str | None]:
        raw = self.client.hget(self.keys.dramatiq.delayed_messages(queue), redis_id)
        return payloads.parse(redis_id, raw, queue), raw

    def _due_soon(self, message: QueuedMessage, now_ms: int) -> int:
        if message.problem:
            return 0  # no worker can hold an unreadable message: it dead-letters it
        eta_ms = (message.eta or 0) * 1000
        return int(eta_ms < now_ms + self.guard_seconds * 1000)

    @staticmethod
    def _skip_expiry(message: QueuedMessage, now_ms: int) -> int:
        eta_ms = int((message.eta or 0) * 1000)
        return max(eta_ms, now_ms) + SKIP_MARGIN_MS

    def _load(self, hash_key: str, ids: list[bytes], queue: str) -> list[QueuedMessage]:
        if not ids:
            return []
        raws = self.client.hmget(hash_key, ids)
        parsed = (payloads.parse(text(redis_id), raw, queue) for redis_id, raw in zip(ids, raws))
        return [message for message in parsed if message is not None]


def _outcome(result: int) -> Outcome:
    return {1: Outcome.DONE, 0: Outcome.GONE, -1: Outcome.DUE_SOON}[int(result)]
