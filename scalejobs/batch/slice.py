"""The batch slice declares itself: how long batches are kept, checks, middleware and pages."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import number, setting


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSettings:
    """How long finished batches are kept."""

    expiry_days: float = setting(
        30,
        "Days a finished batch's status is kept; an unfinished batch is never expired.",
        number("a positive number of days", lambda value, given: value > 0),
    )


SLICE = Slice(
    name="batch",
    settings=BatchSettings,
    checks="scalejobs.batch.checks.check_batch",
    middleware=("scalejobs.batch.middleware.Batches",),
    pages="scalejobs.batch.views",
)
