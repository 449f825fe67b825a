"""Push-based dispatch: a Dramatiq Redis broker whose idle workers start jobs at once.

Set ``DRAMATIQ_BROKER["BROKER"] = "scalejobs.dispatch.RedisBroker"``. It is
Dramatiq's Redis broker with the same keys and message format, so it can
share queues with plain Dramatiq producers and workers during a rolling
deploy; see ``broker`` for what changes and ``engine`` for the keys.
"""

from __future__ import annotations

from .broker import DEFAULT_POLL_INTERVAL, RedisBroker

__all__ = ["DEFAULT_POLL_INTERVAL", "RedisBroker"]
