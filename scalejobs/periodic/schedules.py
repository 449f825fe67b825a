"""When an entry falls due: cron expressions in a time zone, and fixed intervals.

A tick is a whole number of seconds since the epoch. Interval ticks are
multiples of the interval counted from the epoch, so every process agrees
on them whatever it started; cron ticks come from croniter in the entry's
time zone, so daylight saving time moves them exactly as croniter does (a
time skipped in spring fires at the first minute after the jump, a time
repeated in autumn fires at both instants).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter


@dataclass(frozen=True, slots=True)
class Every:
    """A schedule that falls due every ``seconds`` seconds (a whole number, at least 1)."""

    seconds: int

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, int) or self.seconds < 1:
            raise ValueError(f"every: {self.seconds!r} is not a whole number of seconds >= 1")

    def ticks(self, after: int) -> Iterator[int]:
        """Yield the ticks strictly after ``after``, in order, forever."""
        tick = (after // self.seconds + 1) * self.seconds
        while True:
            yield tick
            tick += self.seconds

    def last_at_or_before(self, when: int) -> int:
        """Return the latest tick not after ``when``."""
        return when // self.seconds * self.seconds

    def describe(self) -> str:
        """Say the schedule in a few words, for the admin: ``every 1h 30m``."""
        parts, rest = [], self.seconds
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
            if rest >= size:
                parts.append(f"{rest // size}{unit}")
                rest %= size
        return "every " + " ".join(parts)


@dataclass(frozen=True, slots=True)
class Cron:
    """A schedule given by a five-field cron expression, read in ``tz``."""

    expression: str
    tz: ZoneInfo

    def ticks(self, after: int) -> Iterator[int]:
        """Yield the ticks strictly after ``after``, in order, forever."""
        iterator = croniter(self.expression, dt.datetime.fromtimestamp(after, self.tz))
        while True:
            yield int(iterator.get_next(dt.datetime).timestamp())

    def last_at_or_before(self, when: int) -> int:
        """Return the latest tick not after ``when``."""
        iterator = croniter(self.expression, dt.datetime.fromtimestamp(when + 1, self.tz))
        return int(iterator.get_prev(dt.datetime).timestamp())

    def describe(self) -> str:
        """Say the schedule in a few words, for the admin."""
        return self.expression


Schedule = Every | Cron


def every(*, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0) -> Every:
    """Return an interval schedule for ``periodic=``: ``every(seconds=30)``, ``every(hours=1)``.

    Ticks fall on whole multiples of the interval since the epoch (UTC), so
    ``every(hours=1)`` runs on the hour.
    """
    total = dt.timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days).total_seconds()
    if not float(total).is_integer():
        raise ValueError(f"every: {total!r} seconds is not a whole number of seconds")
    return Every(int(total))


def parse_cron(expression: str, tz: ZoneInfo) -> Cron:
    """Return the ``Cron`` for ``expression``; raise ``ValueError`` naming it if croniter refuses it."""
    if not isinstance(expression, str) or len(expression.split()) != 5 and not expression.startswith("@"):
        raise ValueError(f"{expression!r} is not a five-field cron expression")
    if not croniter.is_valid(expression):
        raise ValueError(f"{expression!r} is not a valid cron expression")
    try:
        # From a fixed day, so the answer never depends on the clock; croniter looks years ahead.
        croniter(expression, dt.datetime(2000, 1, 1)).get_next(float)
    except CroniterBadDateError:
        raise ValueError(f"{expression!r} never fires: no date matches it") from None
    return Cron(expression, tz)


def count_ticks(schedule: Schedule, after: int, until: int, *, limit: int) -> int:
    """Count the ticks in ``(after, until]``, stopping at ``limit``."""
    if isinstance(schedule, Every):
        return min(limit, max(0, until // schedule.seconds - after // schedule.seconds))
    count = 0
    for tick in schedule.ticks(after):
        if tick > until or count >= limit:
            break
        count += 1
    return count

