"""The reliability slice declares itself: orphan recovery and the poison guard, checks, middleware and page."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import COUNT, FLAG, POSITIVE_INT, SECONDS, number, or_none, setting


@dataclass(frozen=True, slots=True, kw_only=True)
class ReliabilitySettings:
    """How dead workers' jobs are recovered and poison messages stopped."""

    recover_orphans: bool = setting(
        True, "Whether the elected leader puts dead workers' unacknowledged messages back on their queues.", FLAG
    )
    recovery_interval_seconds: float = setting(
        15.0, "Seconds between recovery passes for plain Dramatiq workers and for stranded delayed messages.", SECONDS
    )
    silence_seconds: float = setting(
        10.0, "Seconds of silence after which a worker process is presumed dead and its jobs go back on their queues.", SECONDS
    )
    pulse_seconds: float = setting(
        1.0,
        "Seconds between the pulses each worker process sends from a thread of its own.",
        number("at most a third of SILENCE_SECONDS", lambda value, given: 0 < value <= given["SILENCE_SECONDS"] / 3),
    )
    max_deaths: int | None = setting(
        3,
        "Dead-letter a message once its worker died under it more than this many times; None turns the guard off.",
        or_none(COUNT, "an int >= 0, or None"),
    )
    history: int = setting(50, "Recoveries and poisoned messages kept for the admin page.", POSITIVE_INT)


SLICE = Slice(
    name="reliability",
    settings=ReliabilitySettings,
    checks="scalejobs.reliability.checks.check_reliability",
    middleware=("scalejobs.reliability.middleware.Reliability",),
    pages="scalejobs.reliability.views",
    duties=("scalejobs.reliability.runtime.recovery_thread",),
)
