"""The dashboard's query and action API: what the admin pages, the status
command and other slices ask, so none of them talks to Redis itself.

It reads Dramatiq's queue keys and keeps its own beside them, in the
broker's Redis (``keys.py`` lists them all). Reads are counters and ranges;
each change is one Lua script or one ``MULTI``.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

from ..clock import Clock, system_clock
from ..kernel.dramatiq_keys import DramatiqKeys
from ..keys import KeySpace
from .dead_letters import DeadLetterStore
from .keys import DashboardKeys
from .metrics import Throughput
from .queues import QueueStore
from .values import Overview, Progress
from .workers import WorkerBoard

# Minutes of throughput the overview shows.
OVERVIEW_MINUTES = 60
# Beyond two heartbeats, how long a worker may take to learn of a skip entry.
SKIP_SLACK_SECONDS = 5.0


class DashboardEngine:
    """Queues, dead letters, workers and throughput of one Dramatiq deployment."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        space: KeySpace,
        namespace: str = "dramatiq",
        clock: Clock = system_clock,
        heartbeat_seconds: float = 2.0,
        worker_timeout_seconds: float = 30.0,
    ) -> None:
        self.clock = clock
        self.client = client
        self.keys = DashboardKeys(space, DramatiqKeys(namespace))
        guard = 2 * heartbeat_seconds + SKIP_SLACK_SECONDS
        self.queues = QueueStore(client, self.keys, clock, guard_seconds=guard)
        self.dead_letters = DeadLetterStore(client, self.keys, clock)
        self.workers = WorkerBoard(client, self.keys, clock, timeout_seconds=worker_timeout_seconds)
        self.throughput = Throughput(client, self.keys, clock)

    def overview(self, declared_queues: Iterable[str] = ()) -> Overview:
        """Return every queue's counts, every live worker, and the last hour's throughput."""
        names = self.queues.names(declared_queues)
        return Overview(
            queues=tuple(self.queues.summaries(names)),
            workers=tuple(self.workers.workers()),
            minutes=tuple(self.throughput.minutes(OVERVIEW_MINUTES)),
        )

    def wrong_type_key(self) -> tuple[str, str, str] | None:
        """Return the first key of the broker's namespace holding the wrong type: key, its type, the expected one."""
        from .diagnosis import wrong_type_key

        return wrong_type_key(self.client, self.keys.dramatiq.namespace)

    def progress_of(self, message_ids: Iterable[str]) -> dict[str, Progress | None]:
        """Return the progress of those ``message_ids`` that are running now.

        A running job that never reported progress maps to ``None``; ids not
        running anywhere are left out.
        """
        return self.workers.progress_of(message_ids)
