"""The unique slice declares itself: its checks, middleware and page (its options are per job)."""

from __future__ import annotations

from ..kernel.slice import Slice

SLICE = Slice(
    name="unique",
    checks="scalejobs.unique.checks.check_unique",
    middleware=("scalejobs.unique.middleware.Unique",),
    pages="scalejobs.unique.views",
)
