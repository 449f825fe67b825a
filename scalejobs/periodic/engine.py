"""Send each (entry, tick) at most once, however many processes believe they lead.

Invariants: a tick is sent only by the process whose ``SET NX`` created its
claim key, so two processes that both think they lead cannot send it twice;
and an entry's cursor (the last tick handled) only moves forward. A pass
sends the ticks after the cursor that are due; ticks older than the
catch-up window are skipped, counted and recorded instead. A crash between
a claim and its send loses that one tick: sending is at most once.

Keys (under ``<prefix>:periodic``):

- ``entry:<name>``: hash of ``cursor`` (epoch seconds), ``last`` (JSON of the
  last send) and ``paused`` (JSON: by whom, when).
- ``tick:<name>:<tick>``: the claim, holding its owner; it outlives the
  catch-up window so a late believer in its own leadership still finds it.
- ``history:<name>``: JSON tick records, newest first, capped.
- ``manual:<name>:<request>``: a "run now" request already served.
- ``stats``: hash counting ``claims_lost`` (ticks another process claimed first).

Time comes from the injected clock: Redis ``TIME`` in production. The
module holds both the write path (passes, pause, run now) and the queries
the admin page reads, so that these key formats live in one place; hence
its length.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

from ..clock import Clock
from ..kernel.lua import load_script
from ..keys import KeySpace
from .records import Entry, EntryState, Pause, TickRecord, TickStatus
from .schedules import count_ticks

logger = logging.getLogger(__name__)

# A tick this many seconds past the catch-up window is still sent: a pass on a
# loaded machine may start a little late, and that is lateness, not a gap.
GRACE_SECONDS = 5.0
# Counting skipped ticks stops here; a per-second entry idle for weeks needs no exact figure.
SKIP_COUNT_LIMIT = 100_000
# How long a served "run now" request is remembered, against a resubmitted form.
RUN_NOW_MEMORY_SECONDS = 3600
# Longest error text kept in a tick record.
ERROR_CHARS = 200


#: Send one message of ``entry`` for ``tick`` (``None`` for "run now"); return its message id.
Send = Callable[[Entry, int | None], str | None]


class PeriodicScheduler:
    """Claim, send and record the due ticks of periodic entries."""

    def __init__(
        self,
        client: Any,
        keys: KeySpace,
        *,
        send: Send,
        clock: Clock,
        owner: str,
        catch_up_seconds: float,
        history: int = 100,
    ) -> None:
        self.client = client
        self.keys = keys
        self.send = send
        self.clock = clock
        self.owner = owner
        self.catch_up_seconds = catch_up_seconds
        self.history_length = history
        self.claim_seconds = int(2 * (catch_up_seconds + GRACE_SECONDS) + 60)
        self._claim = load_script(client, __package__, "claim")
        self._advance = load_script(client, __package__, "advance")

    def run_due(
        self,
        entries: Iterable[Entry],
        *,
        leader_since: float | None = None,
        leading: Callable[[], bool] = lambda: True,
    ) -> list[TickRecord]:
        """Send every due tick once; ticks before ``leader_since`` count as caught up.

        ``leading`` is asked before each send, so a process that loses the
        lead mid-pass stops there.
        """
        now = self.clock()
        records: list[TickRecord] = []
        for entry in entries:
            if not leading():
                break
            records.extend(self._run_entry(entry, now, leader_since, leading))
        return records

    def next_due(self, entries: Iterable[Entry]) -> int | None:
        """Return the next tick of any enabled entry after now, or ``None`` if there is none."""
        now = int(self.clock())
        ticks = [next(entry.schedule.ticks(now)) for entry in entries if entry.enabled]
        return min(ticks, default=None)

    def run_now(self, entry: Entry, *, request: str, by: str) -> TickRecord | None:
        """Send ``entry`` once outside its schedule; ``None`` if ``request`` was already served."""
        if not self.client.set(self.keys("manual", entry.name, request), by, nx=True, ex=RUN_NOW_MEMORY_SECONDS):
            return None
        return self._send(entry, None, TickStatus.RUN_NOW, by=by)

    def pause(self, entry: Entry, *, by: str) -> None:
        """Stop sending ``entry`` until resumed; ticks that fall due meanwhile are dropped."""
        now = self.clock()
        pause = json.dumps({"by": by, "at": now})
        record = TickRecord(entry=entry.name, status=TickStatus.PAUSED, at=now, by=by)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys("entry", entry.name), "paused", pause)
            self._push(pipe, record)
            pipe.execute()

    def resume(self, entry: Entry, *, by: str) -> None:
        """Send ``entry`` again from its next tick on; what fell due while paused stays unsent."""
        now = self.clock()
        record = TickRecord(entry=entry.name, status=TickStatus.RESUMED, at=now, by=by)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys("entry", entry.name), "paused")
            pipe.hset(self.keys("entry", entry.name), "cursor", int(now))
            self._push(pipe, record)
            pipe.execute()

    def states(self, entries: Iterable[Entry]) -> list[EntryState]:
        """Return the state of each entry, in the order given."""
        entries = list(entries)
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.hmget(self.keys("entry", entry.name), "cursor", "paused", "last")
            replies = pipe.execute()
        now = int(self.clock())
        states = []
        for entry, (cursor, paused, last) in zip(entries, replies, strict=True):
            pause = Pause(**json.loads(paused)) if paused else None
            due = entry.enabled and pause is None
            states.append(
                EntryState(
                    entry=entry,
                    cursor=int(cursor) if cursor is not None else None,
                    paused=pause,
                    last=TickRecord.from_json(last) if last else None,
                    next_tick=next(entry.schedule.ticks(now)) if due else None,
                )
            )
        return states

    def history(self, entries: Iterable[Entry], limit: int = 50) -> list[TickRecord]:
        """Return the latest records of all ``entries`` together, newest first."""
        entries = list(entries)
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.lrange(self.keys("history", entry.name), 0, limit - 1)
            replies = pipe.execute()
        records = [TickRecord.from_json(raw) for reply in replies for raw in reply]
        return sorted(records, key=lambda record: record.at, reverse=True)[:limit]

    def claims_lost(self) -> int:
        """Return how many ticks a process found already claimed by another."""
        return int(self.client.hget(self.keys("stats"), "claims_lost") or 0)

    def _run_entry(
        self, entry: Entry, now: float, leader_since: float | None, leading: Callable[[], bool]
    ) -> list[TickRecord]:
        key = self.keys("entry", entry.name)
        cursor_raw, paused = self.client.hmget(key, "cursor", "paused")
        until = int(now)
        if cursor_raw is None:
            self.client.hsetnx(key, "cursor", until)
            return []
        cursor = int(cursor_raw)
        if paused is not None or not entry.enabled:
            if cursor < until:
                self._move_cursor(entry, cursor, until, None)
            return []
        records: list[TickRecord] = []
        stale = entry.schedule.last_at_or_before(math.ceil(now - self.catch_up_seconds - GRACE_SECONDS) - 1)
        if stale > cursor:
            record = TickRecord(
                entry=entry.name,
                status=TickStatus.SKIPPED,
                at=now,
                tick=stale,
                first=next(entry.schedule.ticks(cursor)),
                count=count_ticks(entry.schedule, cursor, stale, limit=SKIP_COUNT_LIMIT),
                by=self.owner,
            )
            if not self._move_cursor(entry, cursor, stale, record):
                return []
            logger.warning("scalejobs: periodic entry %r skipped %d tick(s) older than the catch-up window.", entry.name, record.count)
            records.append(record)
            cursor = stale
        for tick in entry.schedule.ticks(cursor):
            if tick > until or not leading():
                break
            claimed = self._claim(
                keys=[self.keys("tick", entry.name, tick), key, self.keys("stats")],
                args=[tick, self.owner, self.claim_seconds],
            )
            if claimed != 1:
                continue
            late = leader_since is not None and tick < leader_since
            records.append(self._send(entry, tick, TickStatus.CAUGHT_UP if late else TickStatus.ENQUEUED, by=self.owner))
        return records

    def _send(self, entry: Entry, tick: int | None, status: TickStatus, *, by: str) -> TickRecord:
        try:
            message_id = self.send(entry, tick)
        except Exception as error:  # a failing job or broker must not stop the other entries
            logger.exception("scalejobs: periodic entry %r could not be sent for tick %s.", entry.name, tick)
            record = TickRecord(
                entry=entry.name,
                status=TickStatus.FAILED,
                at=self.clock(),
                tick=tick,
                by=by,
                error=f"{type(error).__name__}: {error}"[:ERROR_CHARS],
            )
        else:
            record = TickRecord(entry=entry.name, status=status, at=self.clock(), tick=tick, message_id=message_id, by=by)
        with self.client.pipeline(transaction=True) as pipe:
            if record.status is not TickStatus.FAILED:
                pipe.hset(self.keys("entry", entry.name), "last", record.to_json())
            self._push(pipe, record)
            pipe.execute()
        return record

    def _move_cursor(self, entry: Entry, cursor: int, to: int, record: TickRecord | None) -> bool:
        moved = self._advance(
            keys=[self.keys("entry", entry.name), self.keys("history", entry.name)],
            args=[cursor, to, record.to_json() if record else "", self.history_length],
        )
        return bool(moved == 1)

    def _push(self, pipe: Any, record: TickRecord) -> None:
        pipe.lpush(self.keys("history", record.entry), record.to_json())
        pipe.ltrim(self.keys("history", record.entry), 0, self.history_length - 1)
