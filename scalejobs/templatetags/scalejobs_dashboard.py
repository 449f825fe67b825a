"""Template filters of the dashboard pages: times, durations and job arguments."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django import template

register = template.Library()

# Pretty-printed arguments longer than this are cut, so one huge job cannot swamp a page.
MAX_ARGUMENT_CHARS = 2000


@register.filter
def epoch(seconds: float | None) -> dt.datetime | None:
    """Turn seconds since the epoch into an aware datetime, for the ``date`` filter."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@register.filter
def duration(seconds: float | None) -> str:
    """Write a span of seconds the short way: ``850 ms``, ``42 s``, ``3 min 5 s``, ``2 h 4 min``."""
    if seconds is None:
        return "–"
    seconds = max(0.0, float(seconds))
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


@register.filter
def since(seconds: float | None) -> str:
    """Write how long ago the epoch time ``seconds`` was."""
    if seconds is None:
        return "–"
    return duration(time.time() - seconds)


@register.filter
def pretty(value: Any) -> str:
    """Pretty-print job arguments as JSON; the template escapes the result."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    if len(text) > MAX_ARGUMENT_CHARS:
        return text[:MAX_ARGUMENT_CHARS] + "\n… (cut)"
    return text
