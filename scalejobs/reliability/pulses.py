"""Tell live worker processes from dead ones within seconds, by a pulse each sends on Redis time.

Dramatiq's own heartbeat is a side effect of broker calls and is judged
after a minute (``heartbeat_timeout``). Each scalejobs worker process also
sends a pulse every ``PULSE_SECONDS`` from a thread of its own (see
``pulser``); the leader (or, a pulse later, any worker process) presumes
a process dead once it has been silent ``SILENCE_SECONDS`` and recovers its
jobs (``recovery``, ``runner``). Pulses and
the silence are both measured on the Redis server's clock, so the clocks of
the machines never meet. A process that never pulses (plain Dramatiq in a
rolling deploy) is not in the set and keeps Dramatiq's timeout.

A pulse also records what recovery needs and must not look for: the queues
the process consumes, so its ack sets are named, not searched for with a
``SCAN`` of the keyspace. (The concurrency slots a process holds are recorded
by the throttle in the call that takes them: ``scalejobs.throttle.free_slots_of``.)

Keys, under ``<prefix>:reliability``:

- ``pulses``: zset broker id -> time of its last pulse (ms, Redis time).
- ``process:<broker id>``: hash ``{queues}`` (JSON), expiring
  ``PROCESS_TTL_SECONDS`` after the last pulse.
- ``presumed:<broker id>``: JSON ``{at, last, messages}``, left by the
  recovery of a process that was silent but not dead (paused by SIGSTOP, cut
  off from Redis); the process reads and deletes it at its next pulse.
- ``queues``: set of every queue a pulsing process consumes, delay queues
  included; recovery looks there for the ack sets of a process that never
  pulsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import redis

from ..kernel.lua import load_script
from ..kernel.replies import text
from ..keys import KeySpace

# How long a process's record outlives its last pulse: long enough for any recovery to read it.
PROCESS_TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class Presumed:
    """The leader's note that it recovered a process's jobs; times in epoch seconds."""

    at: float
    last_pulse: float
    messages: int

    @property
    def silence(self) -> float:
        """Return how long the process had been silent when its jobs were recovered."""
        return self.at - self.last_pulse


@dataclass(frozen=True, slots=True, kw_only=True)
class Silent:
    """A process whose last pulse is older than the silence; ``last_pulse`` in ms, Redis time."""

    worker: str
    last_pulse: int


class Pulses:
    """Send pulses, and find the processes that stopped sending them."""

    def __init__(self, client: redis.Redis, keys: KeySpace, *, ttl_seconds: int = PROCESS_TTL_SECONDS) -> None:
        self.client = client
        self.keys = keys
        self.ttl_ms = ttl_seconds * 1000
        self.pulses_key = keys("pulses")
        self.known_key = keys("queues")
        self._pulse = load_script(client, __package__, "pulse")

    def process_key(self, broker_id: str) -> str:
        """Return the hash that describes ``broker_id``'s process."""
        return self.keys("process", broker_id)

    def presumed_key(self, broker_id: str) -> str:
        """Return the key recovery leaves when it presumes ``broker_id`` dead."""
        return self.keys("presumed", broker_id)

    def pulse(self, broker_id: str, *, queues: list[str], stats_key: str) -> Presumed | None:
        """Say ``broker_id`` is alive; return the recovery's note if its jobs were recovered meanwhile."""
        keys = [self.pulses_key, self.process_key(broker_id), self.presumed_key(broker_id), self.known_key, stats_key]
        _, presumed = self._pulse(keys=keys, args=[broker_id, self.ttl_ms, json.dumps(sorted(queues))])
        if not presumed:
            return None
        record = json.loads(presumed)
        return Presumed(at=record["at"] / 1000, last_pulse=record["last"] / 1000, messages=int(record["messages"]))

    def leave(self, broker_id: str) -> None:
        """Forget a process that stops cleanly: its jobs were handed back, none is orphaned."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zrem(self.pulses_key, broker_id)
            pipe.delete(self.process_key(broker_id))
            pipe.execute()

    def now(self) -> int:
        """Return the Redis server's time in ms."""
        seconds, microseconds = self.client.time()
        return int(seconds) * 1000 + int(microseconds) // 1000

    def silent_since(self, cutoff: int) -> list[Silent]:
        """Return the processes whose last pulse is at or before ``cutoff`` (ms, Redis time)."""
        found = cast("list[tuple[bytes, float]]", self.client.zrangebyscore(self.pulses_key, "-inf", cutoff, withscores=True))
        return [Silent(worker=text(member), last_pulse=int(score)) for member, score in found]

    def newest_before(self, moment: int) -> int | None:
        """Return the time of the newest pulse at or before ``moment`` (ms, Redis time), if any."""
        found = self.client.zrevrangebyscore(self.pulses_key, moment, "-inf", start=0, num=1, withscores=True)
        return int(found[0][1]) if found else None

    def alive(self, silence_ms: int, now: int) -> set[str]:
        """Return the processes that pulsed within ``silence_ms`` of ``now``."""
        members = cast("list[bytes]", self.client.zrangebyscore(self.pulses_key, f"({now - silence_ms}", "+inf"))
        return {text(member) for member in members}

    def queues_of(self, broker_id: str) -> list[str]:
        """Return the queues ``broker_id``'s process said it consumes, or none if it never pulsed."""
        raw = self.client.hget(self.process_key(broker_id), "queues")
        return list(json.loads(raw)) if raw else []

    def known_queues(self) -> set[str]:
        """Return every queue a pulsing process consumes or consumed."""
        return {text(member) for member in self.client.smembers(self.known_key)}
