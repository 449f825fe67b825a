"""Write messages into Redis exactly as Dramatiq's broker does, and act as its workers would."""

from __future__ import annotations

import itertools
import json
import time

import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from scalejobs.dashboard.payloads import ENQUEUED_AT


class Queues:
    """Write messages exactly as Dramatiq's Redis broker does, and act as its workers."""

    def __init__(self, client: redis.Redis) -> None:
        # No middleware: the tests choose every option a message carries. No random
        # maintenance pass either: it would expire dead letters mid-test.
        self.broker = RedisBroker(client=client, middleware=[], maintenance_chance=0)
        self.client = client
        # Dead-letter times in kill order, so tests never depend on two nacks' milliseconds.
        self._deaths = itertools.count(int(time.time() * 1000))

    def send(
        self,
        *args: object,
        queue: str = "default",
        actor: str = "record",
        delay_ms: int | None = None,
        enqueued_at: float | None = None,
        retries: int | None = None,
        traceback: str | None = None,
    ) -> Message:
        options: dict[str, object] = {}
        if enqueued_at is not None:
            options[ENQUEUED_AT] = int(enqueued_at * 1000)
        if retries is not None:
            options["retries"] = retries
        if traceback is not None:
            options["traceback"] = traceback
        message = Message(queue_name=queue, actor_name=actor, args=tuple(args), kwargs={}, options=options)
        return self.broker.enqueue(message, delay=delay_ms)

    def fetch(self, queue: str = "default", count: int = 1) -> list[dict]:
        """Take messages as a worker's consumer does: they leave the list, stay in the hash."""
        return [json.loads(raw) for raw in self.broker.do_fetch(queue, count)]

    def kill(self, queue: str = "default", count: int = 1) -> list[dict]:
        """Fetch messages and dead-letter them, as a worker does after the last retry."""
        taken = self.fetch(queue, count)
        for data in taken:
            redis_id = data["options"]["redis_message_id"]
            self.broker.do_nack(queue, redis_id)
            self.client.zadd(f"dramatiq:{queue}.XQ", {redis_id: next(self._deaths)})
        return taken

    def ready_payloads(self, queue: str = "default") -> list[dict]:
        ids = self.client.lrange(f"dramatiq:{queue}", 0, -1)
        return [json.loads(raw) for raw in self.client.hmget(f"dramatiq:{queue}.msgs", ids)] if ids else []
