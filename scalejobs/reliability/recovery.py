"""Put dead workers' unacknowledged messages back on their queues, within seconds of the death.

Dramatiq's Redis broker keeps the id of each fetched message in an ack set
per worker process and queue until the job is acked. It returns a dead
process's ids only in a maintenance pass drawn at random (one call in a
thousand) for the one queue of that call, so a SIGKILLed worker's jobs come
back after minutes, or never for a quiet queue (dramatiq#692, #431).
``OrphanRecovery`` does that work for every queue, on demand:

- ``run_silent``: a scalejobs worker process is dead once its pulse (see
  ``pulses``) has been silent ``silence_ms``, on Redis time. Its ack sets
  are named from the queues its pulses listed; each id whose payload is
  still stored goes back to the *head* of its queue (or, if the caller names
  it poisoned, to the dead letters), the ack set goes, and a note is left
  in case the process was only paused (``lua/recover.lua``). Dramatiq's
  maintenance then finds empty ack sets: nothing is redelivered twice.
- ``run``: a process that never pulsed (plain Dramatiq) is dead when its
  heartbeat in ``<ns>:__heartbeats__`` (written by every broker call, with
  the caller's clock, as Dramatiq does) is older than the broker's
  ``heartbeat_timeout``, as Dramatiq judges it. Its ack sets are looked for
  under the queues any pulsing process consumes and the queues given, never
  with a ``SCAN`` of the keyspace; an ack set of a queue none of them knows
  is left to Dramatiq's own maintenance.
- A delayed message that a *live* process has held more than
  ``heartbeat_timeout`` past its due time was dropped from that process's
  memory (Dramatiq's consumer empties its in-memory delay queue after a
  connection error) and goes back to its delay queue (``lua/restore.lua``).
  Only the delay queues of ``queues`` are looked at.
- Silence while Redis was down does not count: until Redis has been up for
  ``heartbeat_timeout`` after a restart, a worker is dead only if it was
  silent that long while Redis was up. The downtime is measured from the
  newest heartbeat or recovery pass written before the restart, so it is
  overestimated by at most a recovery interval; without either, nothing is
  recovered until Redis has been up ``heartbeat_timeout``.

Invariant: an id leaves an ack set only in the Lua call that pushes it back
or dead-letters it (or finds its payload gone), so a message is never both
held and dropped.

Keys, under ``<prefix>:reliability``: ``recovery:stats`` (hash of counters:
``passes``, ``workers``, ``messages``, ``stranded``, ``poisoned``, ``queue:<name>``, and
``last_pass`` / ``last_recovery`` in ms, and ``timed``, ``delay_ms_total``,
``delay_ms_max``: the delays from the last sign of life to the requeue) and
``recovery:history`` (JSON recoveries, newest first, capped). They live in the broker's Redis, beside
the keys they count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import cast

import redis

from ..clock import Clock, system_clock
from ..kernel.dramatiq_keys import DramatiqKeys, canonical_queue, delay_queue
from ..kernel.lua import load_script
from ..kernel.replies import text
from ..keys import KeySpace
from .pulses import Pulses
from .values import Recovery, RecoveryPass, RecoveryStats

# Ids read per round trip when looking for overdue delayed messages.
CHUNK = 500
DEAD_WORKER = "dead worker"
STRANDED = "stranded delayed"
# How long the note for a process presumed dead waits for it to pulse again, in ms.
PRESUMED_TTL_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Silent:
    """The processes whose last pulse is at or before ``cutoff``; times in ms, Redis time."""

    now: int
    cutoff: int
    workers: tuple[str, ...]


class OrphanRecovery:
    """Find dead workers and stranded delayed messages, and put their messages back."""

    def __init__(
        self,
        client: redis.Redis,
        keys: KeySpace,
        *,
        namespace: str,
        heartbeat_timeout_ms: int,
        silence_ms: int = 10_000,
        clock: Clock = system_clock,
        history: int = 50,
        redis_uptime: Callable[[], float] | None = None,
    ) -> None:
        """Work on the Dramatiq keys under ``namespace``; ``clock`` must be the clock workers heartbeat with."""
        self.client = client
        self.namespace = namespace
        self.dramatiq = DramatiqKeys(namespace)
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self.silence_ms = silence_ms
        self.clock = clock
        self.history = history
        self.pulses = Pulses(client, keys)
        self._uptime = redis_uptime or self._redis_uptime
        self.stats_key = keys("recovery", "stats")
        self.history_key = keys("recovery", "history")
        self.heartbeats_key = self.dramatiq.heartbeats
        self._recover = load_script(client, __package__, "recover")
        self._restore = load_script(client, __package__, "restore")

    def silent(self, grace: float = 0.0) -> Silent:
        """Return the pulsing processes silent ``silence_ms`` (plus ``grace`` seconds) now, on Redis time.

        Silence while Redis was down does not count: until Redis has been up
        the silence after a restart, the downtime (from the newest pulse
        written before it) is added to the silence, so a process killed
        before the outage is still judged soon after, and every live process
        has had the whole silence to pulse again.
        """
        now = self.pulses.now()
        silence = self.silence_ms + int(grace * 1000)
        uptime = int(self._uptime() * 1000)
        if uptime < self.silence_ms:
            before = self.pulses.newest_before(now - uptime)
            if before is None:
                return Silent(now=now, cutoff=now - silence - uptime, workers=())
            silence += now - uptime - before
        cutoff = now - silence
        return Silent(now=now, cutoff=cutoff, workers=tuple(found.worker for found in self.pulses.silent_since(cutoff)))

    def run_silent(self, silent: Silent, *, poison: Collection[str] = ()) -> RecoveryPass:
        """Recover the messages of the ``silent`` processes (see ``silent``).

        A process that pulsed since keeps its messages. Messages whose redis
        id is in ``poison`` are dead-lettered instead of put back.
        """
        recoveries: list[Recovery] = []
        poisoned: list[tuple[str, str]] = []
        recovered: list[str] = []
        for worker in silent.workers:
            queues = self.pulses.queues_of(worker)
            found = self._recover_worker(
                worker,
                queues,
                liveness=self.pulses.pulses_key,
                cutoff=silent.cutoff,
                now=silent.now,
                by="pulse",
                poison=poison,
            )
            if found is not None:
                recovery, dead_lettered = found
                recovered.append(worker)
                poisoned += dead_lettered
                if recovery.messages:
                    recoveries.append(recovery)
        return RecoveryPass(recoveries=tuple(recoveries), dead_workers=len(silent.workers), poisoned=tuple(poisoned), workers=tuple(recovered))

    def run(self, queues: Iterable[str] = (), *, poison: Collection[str] = ()) -> RecoveryPass:
        """Recover every worker dead by Dramatiq's heartbeat, and the stranded delayed messages of ``queues``.

        Messages whose redis id is in ``poison`` are dead-lettered instead of put back.
        """
        queues = list(queues)
        now = int(self.clock() * 1000)
        cutoff = self._cutoff(now)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hincrby(self.stats_key, "passes", 1)
            pipe.hset(self.stats_key, "last_pass", now)
            pipe.execute()
        if cutoff is None:
            return RecoveryPass(skipped="Redis restarted less than a heartbeat timeout ago, and its downtime is unknown")
        recoveries: list[Recovery] = []
        poisoned: list[tuple[str, str]] = []
        dead = [text(worker) for worker in cast("list[bytes]", self.client.zrangebyscore(self.heartbeats_key, "-inf", cutoff))]
        known: set[str] = set()
        if dead:
            known = self.pulses.known_queues() | set(queues) | {delay_queue(queue) for queue in queues}
        alive = self.pulses.alive(self.silence_ms, self.pulses.now()) if dead else set()
        # A process that pulses is judged by its pulse alone: alive now, or recovered by run_silent.
        for worker in (worker for worker in dead if worker not in alive):
            candidates = sorted(known | set(self.pulses.queues_of(worker)))
            recovered = self._recover_worker(
                worker, self._held(worker, candidates), liveness=self.heartbeats_key, cutoff=cutoff, now=now, by="heartbeat", poison=poison
            )
            if recovered is not None:
                recovery, dead_lettered = recovered
                poisoned += dead_lettered
                if recovery.messages:
                    recoveries.append(recovery)
        live = [text(worker) for worker in cast("list[bytes]", self.client.zrangebyscore(self.heartbeats_key, f"({cutoff}", "+inf"))]
        recoveries += self._restore_stranded(live, sorted({canonical_queue(queue) for queue in queues}), now)
        return RecoveryPass(recoveries=tuple(recoveries), dead_workers=len(dead), poisoned=tuple(poisoned))

    def leave(self, worker: str) -> bool:
        """Forget a process that stopped cleanly, unless it left unacknowledged messages; tell whether it was forgotten.

        A process that left some keeps its last pulse, so its silence recovers them in seconds.
        """
        if self._held(worker, self.pulses.queues_of(worker)):
            return False
        self.pulses.leave(worker)
        return True

    def dead(self, workers: Iterable[str]) -> list[str]:
        """Return those of ``workers`` (broker ids) that are dead now: silent too long, or gone from the heartbeats."""
        workers = list(workers)
        cutoff = self._cutoff(int(self.clock() * 1000))
        if cutoff is None or not workers:
            return []
        scores = self.client.zmscore(self.heartbeats_key, workers)
        return [worker for worker, score in zip(workers, scores, strict=True) if score is None or score <= cutoff]

    def dead_workers(self) -> list[str]:
        """Return the broker ids silent past the silence (by pulse) or the heartbeat timeout (plain Dramatiq) now."""
        cutoff = int(self.clock() * 1000) - self.heartbeat_timeout_ms
        silent = self.silent().workers
        dead = [text(worker) for worker in cast("list[bytes]", self.client.zrangebyscore(self.heartbeats_key, "-inf", cutoff))]
        return sorted(set(silent) | set(dead))

    def stats(self) -> RecoveryStats:
        """Return the counters of every pass so far."""
        raw = {text(name): int(value) for name, value in self.client.hgetall(self.stats_key).items()}
        return RecoveryStats(
            passes=raw.get("passes", 0),
            workers=raw.get("workers", 0),
            messages=raw.get("messages", 0),
            stranded=raw.get("stranded", 0),
            poisoned=raw.get("poisoned", 0),
            timed=raw.get("timed", 0),
            delay_total=raw.get("delay_ms_total", 0) / 1000,
            delay_max=raw.get("delay_ms_max", 0) / 1000,
            resumed=raw.get("resumed", 0),
            resumed_messages=raw.get("resumed_messages", 0),
            by_queue={name[len("queue:") :]: count for name, count in sorted(raw.items()) if name.startswith("queue:")},
            last_pass=raw["last_pass"] / 1000 if "last_pass" in raw else None,
            last_recovery=raw["last_recovery"] / 1000 if "last_recovery" in raw else None,
        )

    def recent(self, limit: int = 20) -> list[Recovery]:
        """Return the latest recoveries, newest first."""
        found = []
        for raw in self.client.lrange(self.history_key, 0, limit - 1):
            record = json.loads(raw)
            queues = record.get("queues") or {}
            found.append(
                Recovery(
                    at=record["at"] / 1000,
                    worker=record["worker"],
                    kind=record["kind"],
                    queues={name: int(count) for name, count in queues.items()} if isinstance(queues, dict) else {},
                    delay=record["delay_ms"] / 1000 if "delay_ms" in record else None,
                    by=record.get("by", ""),
                )
            )
        return found

    def _cutoff(self, now: int) -> int | None:
        """Return the time (ms) at or before which a last heartbeat means death, or ``None`` to wait."""
        uptime_ms = int(self._uptime() * 1000)
        if uptime_ms >= self.heartbeat_timeout_ms:
            return now - self.heartbeat_timeout_ms
        restarted = now - uptime_ms
        # The newest sign of life before the restart: a heartbeat, or this engine's previous pass.
        heartbeat = cast("list[tuple[bytes, float]]", self.client.zrevrangebyscore(self.heartbeats_key, restarted, "-inf", start=0, num=1, withscores=True))
        last_pass = self.client.hget(self.stats_key, "last_pass")
        signs = [int(score) for _, score in heartbeat]
        if last_pass is not None:
            signs.append(int(last_pass))
        before = [moment for moment in signs if moment <= restarted]
        if not before:
            return None
        downtime = restarted - max(before)
        return now - self.heartbeat_timeout_ms - downtime

    def _held(self, worker: str, queues: list[str]) -> list[str]:
        """Return those of ``queues`` in which ``worker`` holds an ack set."""
        if not queues:
            return []
        with self.client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.exists(self._acks(worker, queue))
            found = pipe.execute()
        return [queue for queue, exists in zip(queues, found, strict=True) if exists]

    def _recover_worker(
        self, worker: str, queues: list[str], *, liveness: str, cutoff: int, now: int, by: str, poison: Collection[str]
    ) -> tuple[Recovery, list[tuple[str, str]]] | None:
        keys = [liveness, self.heartbeats_key, self.pulses.presumed_key(worker), self.stats_key, self.history_key]
        for queue in queues:
            keys += [
                self._acks(worker, queue),
                self.dramatiq.queue(queue),
                self.dramatiq.messages(queue),
                self.dramatiq.dead(queue),
                self.dramatiq.dead_messages(queue),
            ]
        presumed_ttl = PRESUMED_TTL_MS if by == "pulse" else 0
        reply = self._recover(keys=keys, args=[worker, cutoff, now, self.history, len(queues), by, presumed_ttl, *queues, *poison])
        if reply == -1:
            return None
        moved_reply, poisoned_reply, delay = reply
        moved = {text(moved_reply[index]): int(moved_reply[index + 1]) for index in range(0, len(moved_reply), 2)}
        poisoned = [(text(poisoned_reply[index]), text(poisoned_reply[index + 1])) for index in range(0, len(poisoned_reply), 2)]
        seconds = int(delay) / 1000 if int(delay) >= 0 else None
        return Recovery(at=now / 1000, worker=worker, kind=DEAD_WORKER, queues=moved, delay=seconds, by=by), poisoned

    def _restore_stranded(self, workers: list[str], queues: list[str], now: int) -> list[Recovery]:
        held = [(worker, delay_queue(queue)) for worker in workers for queue in queues]
        if not held:
            return []
        with self.client.pipeline(transaction=False) as pipe:
            for worker, delayed in held:
                pipe.scard(self._acks(worker, delayed))
            sizes = pipe.execute()
        recoveries = []
        for (worker, delayed), size in zip(held, sizes, strict=True):
            if not size:
                continue
            overdue = self._overdue(worker, delayed, now)
            if not overdue:
                continue
            keys = [
                self._acks(worker, delayed),
                self.dramatiq.queue(delayed),
                self.dramatiq.messages(delayed),
                self.stats_key,
                self.history_key,
            ]
            moved = int(self._restore(keys=keys, args=[worker, delayed, now, self.history, *overdue]))
            if moved:
                recoveries.append(Recovery(at=now / 1000, worker=worker, kind=STRANDED, queues={delayed: moved}))
        return recoveries

    def _overdue(self, worker: str, delay_queue: str, now: int) -> list[str]:
        """Return the ids ``worker`` holds of ``delay_queue`` that were due over a heartbeat timeout ago."""
        ids = [text(member) for member in self.client.sscan_iter(self._acks(worker, delay_queue), count=CHUNK)]
        overdue = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            payloads = cast("list[bytes | None]", self.client.hmget(self.dramatiq.messages(delay_queue), chunk))
            for redis_id, payload in zip(chunk, payloads, strict=True):
                eta = _eta(payload)
                if payload is None or (eta is not None and eta + self.heartbeat_timeout_ms < now):
                    overdue.append(redis_id)
        return overdue

    def _acks(self, worker: str, queue: str) -> str:
        return self.dramatiq.acks(worker, queue)

    def _redis_uptime(self) -> float:
        return float(self.client.info("server")["uptime_in_seconds"])


def _eta(payload: bytes | None) -> int | None:
    if payload is None:
        return None
    try:
        eta = json.loads(payload).get("options", {}).get("eta")
    except (ValueError, AttributeError):
        return None
    return int(eta) if isinstance(eta, (int, float)) and not isinstance(eta, bool) else None
