"""The values the periodic slice hands around: entries, tick records, entry states."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from .schedules import Schedule


class TickStatus(StrEnum):
    """What happened to a tick, as recorded in the history."""

    ENQUEUED = "enqueued"
    CAUGHT_UP = "caught_up"
    SKIPPED = "skipped"
    RUN_NOW = "run_now"
    FAILED = "failed"
    PAUSED = "paused"
    RESUMED = "resumed"

    @property
    def label(self) -> str:
        """Return the status in words, for the admin."""
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One periodic schedule: which job, when, with which arguments."""

    name: str
    job: str
    schedule: Schedule
    #: Where the entry's times are shown (and cron read).
    tz: ZoneInfo
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    queue: str | None = None
    enabled: bool = True
    #: ``"job"`` when declared with ``@scalejobs.job(periodic=...)``, ``"settings"`` otherwise.
    source: str = "job"


@dataclass(frozen=True, slots=True, kw_only=True)
class TickRecord:
    """One line of an entry's history; ``count``/``first`` describe a run of skipped ticks."""

    entry: str
    status: TickStatus
    at: float
    tick: int | None = None
    message_id: str | None = None
    by: str = ""
    count: int = 0
    first: int | None = None
    error: str = ""

    def to_json(self) -> str:
        """Encode the record for Redis."""
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> TickRecord:
        """Decode a record written by ``to_json``."""
        record = json.loads(raw)
        record["status"] = TickStatus(record["status"])
        return cls(**record)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause:
    """Who paused an entry, and when."""

    by: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryState:
    """What Redis knows of an entry, and when it next falls due (``None`` if it will not)."""

    entry: Entry
    cursor: int | None
    paused: Pause | None
    last: TickRecord | None
    next_tick: int | None
