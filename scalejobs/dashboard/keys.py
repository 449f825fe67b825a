"""Name every Redis key the dashboard reads or writes, in one place.

Dramatiq's queue keys are built by ``scalejobs.kernel.dramatiq_keys.DramatiqKeys``
(its module docstring lists them); the delayed messages' hash is the true
count of a delay queue, since workers fetch delayed ids early and hold them
in memory until due.

The dashboard's own keys live in the same Redis, under ``<prefix>:dashboard``,
so that its moves can be atomic with Dramatiq's:

- ``queues``: set of queue names workers have consumed;
- ``workers``: zset worker id -> last heartbeat (ms); ``worker:<id>``: JSON of the
  worker and its running jobs, expiring after the worker timeout;
- ``minute:<epoch minute>``: hash ``processed``/``failed`` -> count, expiring after the retention;
- ``actors``: hash ``processed:<actor>``/``failed:<actor>``/``seconds:<actor>`` -> running total;
- ``skips``: zset ``<message id>|<retries>|<exempt redis id>`` -> expiry (ms), stale
  delayed copies workers must drop (see ``QueueStore.promote``);
- ``failure:<redis id>``: a dead letter's final error, kept by ``scalejobs.kernel.dead_letters``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.dramatiq_keys import DramatiqKeys
from ..keys import KeySpace


@dataclass(frozen=True, slots=True)
class DashboardKeys:
    """Build the dashboard's own keys, and hold Dramatiq's."""

    space: KeySpace
    # Dramatiq's own keys, under the broker's namespace.
    dramatiq: DramatiqKeys

    @property
    def queues(self) -> str:
        return self.space("queues")

    @property
    def workers(self) -> str:
        return self.space("workers")

    def worker(self, worker_id: str) -> str:
        return self.space("worker", worker_id)

    def minute(self, minute: int) -> str:
        return self.space("minute", minute)

    @property
    def actors(self) -> str:
        return self.space("actors")

    @property
    def skips(self) -> str:
        return self.space("skips")
