"""The leader slice declares itself: the one election whose winner runs the cluster-wide duties."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import SECONDS, number, setting


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderSettings:
    """How the worker processes elect the one that runs cluster-wide duties."""

    lease_seconds: float = setting(15.0, "How long a lease lasts unrenewed: the longest a crashed leader keeps the post.", SECONDS)
    renew_seconds: float = setting(
        5.0,
        "Seconds between renewals; a third of the lease, so two may fail before it lapses.",
        number("at most half of LEASE_SECONDS", lambda value, given: 0 < value <= given["LEASE_SECONDS"] / 2),
    )
    check_seconds: float = setting(5.0, "Longest a follower waits between bids; a lapse or a release is noticed sooner.", SECONDS)


SLICE = Slice(name="leader", settings=LeaderSettings)
