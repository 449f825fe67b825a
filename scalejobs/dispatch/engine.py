"""Enqueue and fetch on Dramatiq's Redis key layout, leaving wake-up tokens.

The invariant: while a queue holds messages, its wake-up list holds a
token, or a consumer that popped the token is about to fetch. A producer
leaves a token with every enqueue; a consumer whose fetch leaves messages
behind leaves one for the next idle consumer. A token is only a hint: an
idle consumer also polls its queue when its blocking pop times out, so a
message whose producer left no token (plain Dramatiq during a rolling
deploy, a maintenance redelivery) is still found.

Keys, under the broker's namespace ``<ns>`` (``dramatiq`` by default):

- Dramatiq's own, written exactly as Dramatiq writes them: a queue's ready
  list and payload hash, a broker's ack set and the heartbeats, named by
  ``scalejobs.kernel.dramatiq_keys.DramatiqKeys``;
- owned here: ``<ns>:__wakeups__.<queue>``, a list holding at most one
  token. The ``__`` prefix marks it as bookkeeping, like Dramatiq's keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from redis.commands.core import Script

from ..kernel.dramatiq_keys import DramatiqKeys
from ..kernel.lua import load_script, run_scripts


class PushQueues:
    """Run the enqueue, fetch and wake scripts against one Redis."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self.keys = DramatiqKeys(namespace)
        self._enqueue = load_script(client, __package__, "enqueue")
        self._fetch = load_script(client, __package__, "fetch")
        self._bury = load_script(client, __package__, "bury")
        self._wake = load_script(client, __package__, "wake")

    def wakeup_key(self, queue_name: str) -> str:
        """Return the list idle consumers of ``queue_name`` block on."""
        return f"{self.namespace}:__wakeups__.{queue_name}"

    def enqueue(self, queue_name: str, message_id: str, payload: bytes, *, broker_id: str, now_ms: int) -> None:
        """Append one message to ``queue_name`` and leave a token if there is none."""
        self._enqueue(keys=self._enqueue_keys(queue_name), args=[now_ms, broker_id, message_id, payload])

    def enqueue_call(self, queue_name: str, message_id: str, payload: bytes, *, broker_id: str, now_ms: int) -> tuple[list[str], list[Any]]:
        """Return the keys and arguments of ``enqueue``'s script call, for a guard's script to extend (see ``guard``)."""
        return self._enqueue_keys(queue_name), [now_ms, broker_id, message_id, payload]

    def enqueue_many(self, batches: Sequence[tuple[str, Sequence[tuple[str, bytes]]]], *, broker_id: str, now_ms: int) -> None:
        """Append each batch of ``(message id, payload)`` pairs to its queue, all in one round trip.

        ``batches`` holds ``(queue name, pairs)``; each batch is one script
        call, so keep it to a thousand or so messages (see ``lua/enqueue.lua``).
        """
        run_scripts(self.client, self.enqueue_many_calls(batches, broker_id=broker_id, now_ms=now_ms))

    def enqueue_many_calls(
        self, batches: Sequence[tuple[str, Sequence[tuple[str, bytes]]]], *, broker_id: str, now_ms: int
    ) -> list[tuple[Script, list[str], list[Any]]]:
        """Return ``enqueue_many``'s script calls, for ``run_scripts``."""
        return [
            (self._enqueue, self._enqueue_keys(queue_name), [now_ms, broker_id, *(part for pair in pairs for part in pair)])
            for queue_name, pairs in batches
            if pairs
        ]

    def _enqueue_keys(self, queue_name: str) -> list[str]:
        return [self.keys.queue(queue_name), self.keys.messages(queue_name), self.keys.heartbeats, self.wakeup_key(queue_name)]

    def fetch(
        self, queue_name: str, count: int, *, broker_id: str, now_ms: int, acked: Sequence[str] = ()
    ) -> list[tuple[str, bytes | None]]:
        """Ack the ids of ``acked``, then move up to ``count`` ids into ``broker_id``'s ack set; return each with its payload.

        ``count=0`` only acks. An ack is Dramatiq's: the id leaves the ack
        set and its payload is deleted.
        """
        keys = [
            self.keys.queue(queue_name),
            self.keys.messages(queue_name),
            self.keys.acks(broker_id, queue_name),
            self.keys.heartbeats,
            self.wakeup_key(queue_name),
        ]
        ids, payloads = self._fetch(keys=keys, args=[count, now_ms, broker_id, *acked])
        return [(redis_id.decode(), payload) for redis_id, payload in zip(ids, payloads, strict=True)]

    def bury(self, queue_name: str, redis_id: str, payload: bytes, *, broker_id: str, now_ms: int) -> bool:
        """Dead-letter the fetched message ``redis_id`` with ``payload`` as its stored bytes; return whether it moved."""
        keys = [
            self.keys.acks(broker_id, queue_name),
            self.keys.messages(queue_name),
            self.keys.dead(queue_name),
            self.keys.dead_messages(queue_name),
        ]
        return bool(self._bury(keys=keys, args=[redis_id, now_ms, payload]))

    def wake(self, queue_name: str) -> bool:
        """Leave a token if ``queue_name`` holds messages and has none; return whether one was left."""
        return bool(self._wake(keys=[self.keys.queue(queue_name), self.wakeup_key(queue_name)]))
