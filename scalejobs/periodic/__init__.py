"""Periodic jobs: cron and interval schedules, sent once per tick by the elected leader."""

from .records import Entry, EntryState, TickRecord, TickStatus
from .schedules import Cron, Every, every

__all__ = ["Cron", "Entry", "EntryState", "Every", "TickRecord", "TickStatus", "every"]
