"""Refuse job options that Dramatiq or the middleware would accept silently and misuse later.

``time_limit=-1`` would kill every run at once, ``max_retries=-1`` would
never retry nor say why, and ``protect="yes"`` would be read as true. Each
fails at decoration with a ``JobOptionError`` naming the job and the option.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import JobOptionError

# The values protect= takes: always, never, or when the job may outlive the drain budget.
PROTECT = (True, False, "auto")
# Options holding a duration in milliseconds, which must be positive.
MILLISECONDS = ("time_limit", "max_age", "min_backoff", "max_backoff")


def check_job_options(name: str, options: Mapping[str, Any]) -> None:
    """Raise ``JobOptionError`` for the first option of job ``name`` with an unusable value."""
    if "protect" in options:
        protect = options["protect"]
        if not any(protect is allowed for allowed in PROTECT[:2]) and protect != "auto":
            raise JobOptionError(f"{name}: protect must be True, False or 'auto', got {protect!r}.")
    for option in MILLISECONDS:
        value = options.get(option)
        if value is not None and not _positive_milliseconds(value):
            raise JobOptionError(f"{name}: {option} must be a positive number of milliseconds, got {value!r}.")
    retries = options.get("max_retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
        raise JobOptionError(f"{name}: max_retries must be an int >= 0 (or None for no limit), got {retries!r}.")


def _positive_milliseconds(value: Any) -> bool:
    if isinstance(value, dt.timedelta):
        return value.total_seconds() > 0
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0
