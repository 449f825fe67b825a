"""Name the Redis keys of Dramatiq's Redis broker, the one place scalejobs knows their layout.

Dramatiq's ``RedisBroker`` (``dramatiq/brokers/redis/dispatch.lua``) keeps,
under its namespace ``<ns>`` (``dramatiq`` by default):

- ``<ns>:<queue>``: list of redis message ids ready to fetch;
- ``<ns>:<queue>.msgs``: hash id -> payload, for ready *and* fetched-but-unacked ids;
- ``<ns>:<queue>.DQ`` / ``<ns>:<queue>.DQ.msgs``: the same for delayed messages;
- ``<ns>:<queue>.XQ``: zset id -> dead-letter time (ms); ``<ns>:<queue>.XQ.msgs``:
  hash id -> payload. A delay queue's dead letters go to its canonical queue's;
- ``<ns>:__acks__.<broker id>.<queue>``: set of ids a broker fetched and has not acked;
- ``<ns>:__heartbeats__``: zset broker id -> time of its last call (ms).

Keys of the namespace that start with ``__`` are bookkeeping; scalejobs adds
its own there (the dispatch broker's ``__wakeups__.<queue>``).
"""

from __future__ import annotations

from dataclasses import dataclass

DELAYED = ".DQ"
DEAD = ".XQ"
MESSAGES = ".msgs"
ACKS = "__acks__."
HEARTBEATS = "__heartbeats__"


def canonical_queue(queue: str) -> str:
    """Return the queue that ``queue`` (maybe a delay or dead-letter queue) belongs to."""
    return queue[: -len(DELAYED)] if queue.endswith((DELAYED, DEAD)) else queue


def delay_queue(queue: str) -> str:
    """Return the name of the delay queue of ``queue``."""
    return f"{canonical_queue(queue)}{DELAYED}"


def is_delay_queue(queue: str) -> bool:
    """Tell whether ``queue`` names a delay queue."""
    return queue.endswith(DELAYED)


def is_derived_queue(queue: str) -> bool:
    """Tell whether ``queue`` names a delay or dead-letter queue rather than a queue of its own."""
    return queue.endswith((DELAYED, DEAD))


@dataclass(frozen=True, slots=True)
class DramatiqKeys:
    """Build the keys Dramatiq's Redis broker keeps under ``namespace``."""

    namespace: str = "dramatiq"

    def queue(self, queue: str) -> str:
        """Return the list of ready ids of ``queue`` (a delay queue's name gives the delay queue)."""
        return f"{self.namespace}:{queue}"

    def messages(self, queue: str) -> str:
        """Return the hash id -> payload of ``queue``."""
        return f"{self.namespace}:{queue}{MESSAGES}"

    def delayed(self, queue: str) -> str:
        """Return the list of delayed ids of ``queue``."""
        return self.queue(delay_queue(queue))

    def delayed_messages(self, queue: str) -> str:
        """Return the hash id -> payload of ``queue``'s delayed messages."""
        return self.messages(delay_queue(queue))

    def dead(self, queue: str) -> str:
        """Return the zset id -> dead-letter time (ms) of ``queue`` (or of the queue a delay queue belongs to)."""
        return f"{self.namespace}:{canonical_queue(queue)}{DEAD}"

    def dead_messages(self, queue: str) -> str:
        """Return the hash id -> payload of ``queue``'s dead letters."""
        return f"{self.dead(queue)}{MESSAGES}"

    def acks(self, broker_id: str, queue: str) -> str:
        """Return the set of ids ``broker_id`` fetched from ``queue`` and has not acked."""
        return f"{self.namespace}:{ACKS}{broker_id}.{queue}"

    @property
    def heartbeats(self) -> str:
        """Return the zset broker id -> time of its last call (ms)."""
        return f"{self.namespace}:{HEARTBEATS}"

    @staticmethod
    def type_of(name: str) -> str:
        """Return the Redis type Dramatiq gives the key ``name`` (without its namespace); ``""`` for other bookkeeping."""
        if name.startswith(ACKS):
            return "set"
        if name == HEARTBEATS or name.endswith(DEAD):
            return "zset"
        if name.endswith(MESSAGES):
            return "hash"
        if name.startswith("__"):
            return ""
        return "list"
