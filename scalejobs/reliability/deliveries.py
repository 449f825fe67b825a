"""Remember which jobs each worker process runs, and count the ones it died running.

Each worker process records the deliveries it runs, from a background
thread and many per call, so a job pays no Redis round trip for it. When the
leader finds a process dead (see ``recovery``), ``bury`` turns the
deliveries it was running into one death each for their message id, which
Dramatiq keeps across retries and redeliveries. A message that kills its
worker would otherwise come back forever without using a retry
(dramatiq#213); past ``MAX_DEATHS`` deaths it is dead-lettered instead.

A delivery is recorded within 10 ms of its start (``guard.TRACK_SECONDS``);
a process that dies sooner is not counted as dying under it. A graceful stop ends its
deliveries first, so a job handed back on scale-in is not a death.

Keys, under ``<prefix>:reliability``:

- ``running:<broker id>``: hash redis message id -> ``<message id>|<actor>|<queue>``,
  the deliveries a worker process runs now.
- ``processes``: set of the broker ids that recorded deliveries.
- ``deaths``: zset message id -> deaths; ``deaths:last``: zset message id ->
  time of the last death (ms), so counts older than ``ttl_seconds`` are dropped.
- ``poisoned``: JSON records of the messages dead-lettered for their deaths,
  newest first, capped; ``poisoned:count`` counts them all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import cast

import redis

from ..clock import Clock, system_clock
from ..kernel.lua import load_script
from ..kernel.replies import text
from ..keys import KeySpace
from .values import Death, Endangered, Poisoned

# How long a message's death count outlives its last death.
TTL_SECONDS = 7 * 24 * 3600

# A delivery as recorded: its redis message id and the value its running hash holds.
Started = tuple[str, str]


class DeliveryLedger:
    """Record running deliveries per process, count deaths per message id, remember poisoned messages."""

    def __init__(
        self, client: redis.Redis, keys: KeySpace, *, clock: Clock = system_clock, ttl_seconds: float = TTL_SECONDS, history: int = 50
    ) -> None:
        self.client = client
        self.keys = keys
        self.clock = clock
        self.ttl_ms = max(1, int(ttl_seconds * 1000))
        self.history = history
        self.processes_key = keys("processes")
        self.deaths_key = keys("deaths")
        self.last_death_key = keys("deaths", "last")
        self.poisoned_key = keys("poisoned")
        self._bury = load_script(client, __package__, "bury")

    def track(self, broker_id: str, started: Sequence[Started], ended: Sequence[str]) -> None:
        """Record deliveries ``broker_id`` started (then those it ended), in one call."""
        running = self.keys("running", broker_id)
        with self.client.pipeline(transaction=True) as pipe:
            if started:
                pipe.hset(running, mapping=dict(started))
                pipe.sadd(self.processes_key, broker_id)
            if ended:
                pipe.hdel(running, *ended)
            pipe.execute()

    def processes(self) -> list[str]:
        """Return the broker ids that recorded deliveries and were not buried yet."""
        return sorted(text(member) for member in self.client.smembers(self.processes_key))

    def bury(self, broker_id: str) -> list[Death]:
        """Count a death for each delivery the dead process ``broker_id`` was running, and forget the process."""
        now = int(self.clock() * 1000)
        reply = self._bury(
            keys=[self.keys("running", broker_id), self.processes_key, self.deaths_key, self.last_death_key],
            args=[broker_id, now, now - self.ttl_ms],
        )
        deaths = []
        for index in range(0, len(reply), 3):
            message_id, actor, queue = text(reply[index + 1]).split("|", 2)
            deaths.append(Death(redis_id=text(reply[index]), message_id=message_id, actor=actor, queue=queue, deaths=int(reply[index + 2])))
        return deaths

    def poison(self, max_deaths: int) -> dict[str, int]:
        """Return the message ids whose workers died under them more than ``max_deaths`` times, with their deaths."""
        found = cast("list[tuple[bytes, float]]", self.client.zrangebyscore(self.deaths_key, f"({max_deaths}", "+inf", withscores=True))
        return {text(member): int(score) for member, score in found}

    def forget(self, message_id: str) -> None:
        """Drop the death count of ``message_id``, e.g. once it is dead-lettered: a retry starts afresh."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zrem(self.deaths_key, message_id)
            pipe.zrem(self.last_death_key, message_id)
            pipe.execute()

    def record_poisoned(self, poisoned: Poisoned) -> None:
        """Remember that ``poisoned`` was dead-lettered for the deaths of its workers."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.lpush(self.poisoned_key, json.dumps(asdict(poisoned)))
            pipe.ltrim(self.poisoned_key, 0, self.history - 1)
            pipe.incr(self.keys("poisoned", "count"))
            pipe.execute()

    def endangered(self, limit: int = 20) -> list[Endangered]:
        """Return the messages workers died under most often."""
        ranked = cast("list[tuple[bytes, float]]", self.client.zrevrange(self.deaths_key, 0, limit - 1, withscores=True))
        return [Endangered(message_id=text(member), deaths=int(score)) for member, score in ranked]

    def poisoned(self, limit: int = 20) -> list[Poisoned]:
        """Return the latest poisoned messages, newest first."""
        return [Poisoned(**json.loads(raw)) for raw in self.client.lrange(self.poisoned_key, 0, limit - 1)]

    def poisoned_count(self) -> int:
        """Return how many messages were dead-lettered for their workers' deaths."""
        return int(self.client.get(self.keys("poisoned", "count")) or 0)


def running_value(message_id: str, actor: str, queue: str) -> str:
    """Return what a process's running hash holds for one delivery."""
    return f"{message_id}|{actor}|{queue}"
