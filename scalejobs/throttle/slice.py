"""The throttle slice declares itself: limiters' postponement settings, checks, middleware and page."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import COUNT, SECONDS, number, setting


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleSettings:
    """How throttled jobs are postponed without using their retries."""

    backoff: float = setting(1.0, "Seconds of a throttled job's first postponement; doubles with each one, plus jitter.", SECONDS)
    max_backoff: float = setting(
        60.0,
        "Longest postponement in seconds (a limiter that knows its wait, e.g. a bucket, may ask longer).",
        number("seconds >= BACKOFF", lambda value, given: value >= given["BACKOFF"]),
    )
    max_postponements: int = setting(
        100, "Postponements after which a still-throttled job falls through to a normal retry, using one.", COUNT
    )


SLICE = Slice(
    name="throttle",
    settings=ThrottleSettings,
    checks="scalejobs.throttle.checks.check_throttle",
    middleware=("scalejobs.throttle.middleware.Throttle",),
    pages="scalejobs.throttle.views",
)
