"""Count a batch's jobs by message id and fire its callbacks exactly once.

``BatchEngine`` keeps, per batch, the state of each member (a job's message
id, a child batch, or the hold of an open ``with`` block) and the counters
that follow from them, and moves them only in Lua (``lua/``), one script per
transition: ``open`` (create or reopen, taking a hold), ``add`` (count
messages as jobs), ``settle`` (a job ended, a hold was released) and
``claim`` (a callback message asks to run). Because every move is decided
per message id, retries, redeliveries and recovered orphans never count
twice, and a job that fails then succeeds on a retry moves from failed to
succeeded.

Invariant: a callback fires in the same Lua call that makes it due, by
landing in the ``due`` zset; the sender removes it once sent, and a sweep
sends what stayed there too long (its sender died). The callback message
then claims the callback, so of two copies only one runs.

Keys, under ``<prefix>:batch``:

- ``<id>``: hash of the batch (description, times, callbacks, counters, ``fired:<kind>``, ``claim:<kind>``).
- ``<id>:jobs``: hash member -> state (``P``, ``F``, ``S``, ``D``; lower case until counted).
- ``<id>:jobs:dead``: hash message id -> ``<actor>|<queue>`` of its dead jobs, for links to the dead letters.
- ``index``: zset batch id -> creation time (ms), for the admin; entries of expired batches are dropped on read.
- ``due``: zset ``<id>|<kind>`` -> time fired (ms): callbacks fired and not yet known to be sent.

A finished batch expires ``expiry_seconds`` after it finished; an unfinished
one never does.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis
from redis.commands.core import Script

from ..clock import Clock, system_clock
from ..kernel.lua import load_script, run_script_many
from ..kernel.replies import text
from ..keys import KeySpace

CALLBACKS = ("on_success", "on_complete", "on_death")
# How long a fired callback may wait in ``due`` before a sweep sends it again.
RESEND_AFTER_SECONDS = 30.0


class BatchGone(LookupError):
    """Raised when a batch to open or add to does not exist (never created, or expired)."""


class BatchFinished(LookupError):
    """Raised when jobs are added to a batch that has finished."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchStatus:
    """Where a batch stands: its counts, times and description."""

    id: str
    description: str
    total: int
    succeeded: int
    # Jobs whose last run failed: waiting for a retry, or dead.
    failed: int
    dead: int
    created_at: float
    finished_at: float | None
    parent: str | None
    callbacks: dict[str, str]

    @property
    def done(self) -> int:
        """Return how many jobs ran for good: succeeded, or dead."""
        return self.succeeded + self.dead

    @property
    def pending(self) -> int:
        """Return how many jobs have yet to run, are running, or wait for a retry."""
        return self.total - self.done

    @property
    def finished(self) -> bool:
        """Tell whether every job ran (on_complete fired)."""
        return self.finished_at is not None

    @property
    def succeeded_all(self) -> bool:
        """Tell whether the batch finished with every job succeeded (on_success fired)."""
        return self.finished and self.dead == 0 and self.pending == 0

    @property
    def percent(self) -> int:
        """Return the share of jobs done, 0 to 100 (100 for an empty finished batch)."""
        if self.total == 0:
            return 100 if self.finished else 0
        return self.done * 100 // self.total

    def as_dict(self) -> dict[str, Any]:
        """Return the status as JSON-safe values, as callbacks receive it."""
        return {
            "id": self.id,
            "description": self.description,
            "total": self.total,
            "pending": self.pending,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "dead": self.dead,
            "done": self.done,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "parent": self.parent,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadJob:
    """A job of a batch that failed beyond its retries."""

    message_id: str
    actor: str
    queue: str


@functools.cache
class BatchEngine:
    """Open batches, count their jobs, settle each job's outcome, and report where they stand."""

    def __init__(self, client: redis.Redis, keys: KeySpace, *, expiry_seconds: float, clock: Clock = system_clock) -> None:
        self.client = client
        self.keys = keys
        self.prefix = keys()
        self.expiry_seconds = max(1, int(expiry_seconds))
        self.clock = clock
        self.index_key = keys("index")
        self.due_key = keys("due")
        self._scripts: dict[str, Script] = {name: load_script(client, __package__, name) for name in ("open", "add", "settle", "claim")}

    def open(self, batch_id: str, hold: str, *, create: dict[str, str] | None = None, parent: str | None = None) -> None:
        """Take the hold ``hold`` on the batch, creating it from ``create`` (description and callbacks) if given."""
        args: list[Any] = [self.prefix, batch_id, f"hold:{hold}", self._now()]
        if create is None:
            args += ["0", "", "", "", "", ""]
        else:
            args += ["1", create.get("description", ""), *(create.get(kind, "") for kind in CALLBACKS), parent or ""]
        try:
            self._scripts["open"](keys=[self.keys(batch_id), self.keys(batch_id, "jobs"), self.index_key], args=args)
        except redis.ResponseError as error:
            raise _refusal(batch_id, error) from error

    def add(self, batch_id: str, message_ids: Sequence[str]) -> list[tuple[str, str]]:
        """Count ``message_ids`` as jobs of the batch; return the callbacks that fired."""
        if not message_ids:
            return []
        try:
            reply = self._scripts["add"](
                keys=[self.keys(batch_id), self.keys(batch_id, "jobs"), self.due_key], args=[batch_id, self._now(), *message_ids]
            )
        except redis.ResponseError as error:
            raise _refusal(batch_id, error) from error
        return _pairs(reply)

    def settle(self, batch_id: str, member: str, state: str, *, origin: str = "") -> list[tuple[str, str]]:
        """Move ``member`` to ``state`` (``S``, ``F`` or ``D``); return the callbacks that fired.

        ``origin`` is ``<actor>|<queue>`` of the message, kept for a dead job.
        """
        reply = self._scripts["settle"](
            keys=[self.due_key], args=[self.prefix, batch_id, member, state, self.expiry_seconds, self._now(), origin]
        )
        return _pairs(reply)

    def settle_many(self, outcomes: Sequence[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
        """Settle each ``(batch id, member, state, origin)`` in order, in one round trip; return the callbacks that fired."""
        if len(outcomes) == 1:
            batch_id, member, state, origin = outcomes[0]
            return self.settle(batch_id, member, state, origin=origin)  # a pipeline costs more than it saves here
        now = self._now()
        calls = [([self.due_key], [self.prefix, batch_id, member, state, self.expiry_seconds, now, origin]) for batch_id, member, state, origin in outcomes]
        return [pair for reply in run_script_many(self.client, self._scripts["settle"], calls) for pair in _pairs(reply)]

    def release(self, batch_id: str, hold: str) -> list[tuple[str, str]]:
        """Release the hold ``hold``; return the callbacks that fired (the batch may have finished)."""
        return self.settle(batch_id, f"hold:{hold}", "S")

    def claim(self, batch_id: str, kind: str, message_id: str) -> bool:
        """Tell whether ``message_id`` may run the ``kind`` callback of the batch (it is the first, or a redelivery)."""
        holder = self._scripts["claim"](keys=[self.keys(batch_id)], args=[kind, message_id])
        return text(holder) == message_id

    def sent(self, batch_id: str, kind: str) -> None:
        """Note that the fired ``kind`` callback of the batch was sent."""
        self.client.zrem(self.due_key, f"{batch_id}|{kind}")

    def overdue(self, limit: int = 100) -> list[tuple[str, str]]:
        """Return fired callbacks not known to be sent for ``RESEND_AFTER_SECONDS``, pushing their time forward."""
        now = self._now()
        # Without scores, redis-py's union of reply types narrows to members.
        found = cast("list[bytes]", self.client.zrangebyscore(self.due_key, "-inf", now - int(RESEND_AFTER_SECONDS * 1000), start=0, num=limit))
        if not found:
            return []
        self.client.zadd(self.due_key, {text(entry): now for entry in found}, xx=True)
        return [cast("tuple[str, str]", tuple(text(entry).split("|", 1))) for entry in found]

    def status(self, batch_id: str) -> BatchStatus | None:
        """Return the batch's status, or ``None`` if there is no such batch (never created, or expired)."""
        return _status(batch_id, self.client.hgetall(self.keys(batch_id)))

    def statuses(self, batch_ids: Sequence[str]) -> list[BatchStatus | None]:
        """Return the status of each of ``batch_ids`` in one round trip."""
        with self.client.pipeline(transaction=False) as pipe:
            for batch_id in batch_ids:
                pipe.hgetall(self.keys(batch_id))
            raws = pipe.execute()
        return [_status(batch_id, raw) for batch_id, raw in zip(batch_ids, raws, strict=True)]

    def recent(self, limit: int = 50) -> list[BatchStatus]:
        """Return the newest batches, newest first, dropping expired ones from the index."""
        ids = [text(member) for member in cast("list[bytes]", self.client.zrevrange(self.index_key, 0, limit - 1))]
        found = self.statuses(ids)
        gone = [batch_id for batch_id, status in zip(ids, found, strict=True) if status is None]
        if gone:
            self.client.zrem(self.index_key, *gone)
        return [status for status in found if status is not None]

    def running(self, limit: int = 1000) -> list[BatchStatus]:
        """Return the unfinished batches among the newest ``limit``, newest first."""
        return [status for status in self.recent(limit) if not status.finished]

    def dead_jobs(self, batch_id: str, limit: int = 100) -> list[DeadJob]:
        """Return up to ``limit`` dead jobs of the batch."""
        found = []
        for member, origin in self.client.hscan_iter(self.keys(batch_id, "jobs", "dead"), count=limit):
            actor, _, queue = text(origin).partition("|")
            found.append(DeadJob(message_id=text(member), actor=actor, queue=queue))
            if len(found) >= limit:
                break
        return found

    def children(self, batch_id: str) -> list[str]:
        """Return the ids of the batch's child batches."""
        members = self.client.hscan_iter(self.keys(batch_id, "jobs"), match="batch:*", count=1000)
        return sorted(text(member)[len("batch:") :] for member, _ in members)

    def _now(self) -> int:
        return int(self.clock() * 1000)


def _status(batch_id: str, raw: dict[bytes | str, bytes | str]) -> BatchStatus | None:
    if not raw:
        return None
    fields = {text(name): text(value) for name, value in raw.items()}
    finished = fields.get("finished_at")
    retrying, dead = int(fields.get("retrying", 0)), int(fields.get("dead", 0))
    return BatchStatus(
        id=batch_id,
        description=fields.get("description", ""),
        total=int(fields.get("total", 0)),
        succeeded=int(fields.get("succeeded", 0)),
        failed=retrying + dead,
        dead=dead,
        created_at=int(fields.get("created_at", 0)) / 1000,
        finished_at=int(finished) / 1000 if finished else None,
        parent=fields.get("parent") or None,
        callbacks={kind: fields[kind] for kind in CALLBACKS if fields.get(kind)},
    )


def _refusal(batch_id: str, error: redis.ResponseError) -> Exception:
    if "finished" in str(error):
        return BatchFinished(f"batch {batch_id!r} has finished; open a new Batch for more jobs")
    if "gone" in str(error):
        return BatchGone(f"batch {batch_id!r} does not exist (never created, or expired)")
    return error


def _pairs(reply: list[bytes]) -> list[tuple[str, str]]:
    return [(text(reply[index]), text(reply[index + 1])) for index in range(0, len(reply), 2)]
