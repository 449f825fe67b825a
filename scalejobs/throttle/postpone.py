"""Decide how long a throttled job waits before it tries again.

Postponing re-sends the job as a delayed copy (same message id, one more
``scalejobs_postponed``) and drops the original delivery: no retry is used
and no worker thread waits. Waits grow with each postponement, so a crowd of
throttled jobs spreads out instead of coming back together.
"""

from __future__ import annotations

import random

# Dramatiq's Redis broker refuses delays of a week or more.
LONGEST_DELAY = 7 * 24 * 3600 - 60


def postponement_delay(
    postponements: int, wait: float, *, backoff: float, max_backoff: float, rng: random.Random | None = None
) -> float:
    """Return the seconds to postpone a job already postponed ``postponements`` times.

    ``wait`` is what the refusing limiter asked for (0 when it cannot tell);
    the delay is never shorter. The step doubles from ``backoff`` up to
    ``max_backoff``, and up to half a step of jitter is added.
    """
    step: float = min(max_backoff, backoff * 2 ** min(postponements, 32))
    jitter: float = (rng or random).uniform(0, step / 2)
    return min(LONGEST_DELAY, max(wait, step) + jitter)
