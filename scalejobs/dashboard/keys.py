"""Name every Redis key the dashboard reads or writes, in one place.

Dramatiq's Redis broker keeps, under its namespace (``dramatiq`` by default):

- ``<ns>:<queue>``: list of redis message ids ready to fetch (LPOP from the left);
- ``<ns>:<queue>.msgs``: hash id -> payload, for ready *and* fetched-but-unacked ids;
- ``<ns>:<queue>.DQ`` / ``.DQ.msgs``: the same for delayed messages; workers fetch
  these early and hold them in memory until due, so the hash is the true count;
- ``<ns>:<queue>.XQ``: zset id -> dead-letter time (ms); ``.XQ.msgs``: hash id -> payload.

The dashboard's own keys live in the same Redis, under ``<prefix>:dashboard``,
so that its moves can be atomic with Dramatiq's:

- ``queues``: set of queue names workers have consumed;
- ``workers``: zset worker id -> last heartbeat (ms); ``worker:<id>``: JSON of the
  worker and its running jobs, expiring after the worker timeout;
- ``minute:<epoch minute>``: hash ``processed``/``failed`` -> count, expiring after the retention;
- ``actors``: hash ``processed:<actor>``/``failed:<actor>``/``seconds:<actor>`` -> running total;
- ``skips``: zset ``<message id>|<retries>|<exempt redis id>`` -> expiry (ms), stale
  delayed copies workers must drop (see ``QueueStore.promote``);
- ``failure:<redis id>``: JSON of a dead letter's final error, expiring with the dead letter.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..keys import KeySpace


@dataclass(frozen=True, slots=True)
class DashboardKeys:
    """Build Dramatiq's queue keys and the dashboard's own."""

    space: KeySpace
    namespace: str

    def ready(self, queue: str) -> str:
        return f"{self.namespace}:{queue}"

    def ready_messages(self, queue: str) -> str:
        return f"{self.namespace}:{queue}.msgs"

    def delayed(self, queue: str) -> str:
        return f"{self.namespace}:{queue}.DQ"

    def delayed_messages(self, queue: str) -> str:
        return f"{self.namespace}:{queue}.DQ.msgs"

    def dead(self, queue: str) -> str:
        return f"{self.namespace}:{queue}.XQ"

    def dead_messages(self, queue: str) -> str:
        return f"{self.namespace}:{queue}.XQ.msgs"

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

    def failure(self, redis_id: str) -> str:
        return self.space("failure", redis_id)
