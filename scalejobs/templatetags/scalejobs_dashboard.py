"""Template filters and tags of the dashboard pages: times, durations, job arguments and errors.

Arguments and error details show in clear only to users with
``scalejobs.view_job_arguments`` (the page context's ``can_see_arguments``);
encrypted arguments show as "encrypted" to everyone.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django import template

from ..encryption import sealed_token

register = template.Library()

# Pretty-printed arguments longer than this are cut, so one huge job cannot swamp a page.
MAX_ARGUMENT_CHARS = 2000


@register.filter
def epoch(seconds: float | None) -> dt.datetime | None:
    """Turn seconds since the epoch into an aware datetime, for the ``date`` filter."""
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None  # a time no calendar holds: a corrupt entry, shown without it


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


@register.inclusion_tag("scalejobs/dashboard/_arguments.html", takes_context=True)
def job_arguments(context: template.Context, job: Any) -> dict[str, Any]:
    """Show a job's arguments, or "hidden" with their size, or "encrypted"."""
    args, kwargs = list(job.args), dict(job.kwargs)
    encrypted = sealed_token(kwargs) is not None and not args
    return {
        "problem": getattr(job, "problem", ""),
        "encrypted": encrypted,
        "hidden": not context.get("can_see_arguments", False),
        "size": len(json.dumps([args, kwargs], default=repr)),
        "args": args,
        "kwargs": kwargs,
    }


@register.inclusion_tag("scalejobs/dashboard/_error.html", takes_context=True)
def job_error(context: template.Context, error: str, traceback: str, worker: str = "") -> dict[str, Any]:
    """Show an error line with its traceback; only its exception type without the arguments permission.

    An exception's message often quotes the arguments it failed on.
    """
    return {"error": error, "traceback": traceback, "worker": worker, "hidden": not context.get("can_see_arguments", False)}


@register.filter
def error_type(error: str) -> str:
    """Return the exception type of an error line such as ``ValueError: bad``."""
    return error.split(":", 1)[0].strip()


@register.filter
def pretty(value: Any) -> str:
    """Pretty-print job arguments as JSON; the template escapes the result."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    if len(text) > MAX_ARGUMENT_CHARS:
        return text[:MAX_ARGUMENT_CHARS] + "\n… (cut)"
    return text
