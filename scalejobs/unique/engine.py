"""Hold at most one live message per job identity, across every process.

Invariant: a job identity (a digest of actor, queue and arguments, or of the
job's ``unique_key``) has at most one lock, owned by one message id, living
at most its TTL. Only the owner renews it; only the owner, or an admin naming
the owner it saw, deletes it (compare-and-delete).

Redis keys, under ``<prefix>:unique``:

- ``lock:<digest>``: hash ``{owner, actor, label}`` with the lock's TTL.
- ``locks``: zset ``digest -> expiry ms``, the index the admin pages read
  instead of scanning keys; entries of expired locks are dropped lazily.

``enqueue_call`` builds the call that takes a lock and enqueues its message
on the dispatch broker at once (``lua/enqueue.lua``): the broker gives the
keys and arguments of its own enqueue, this engine adds the lock's.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.commands.core import Script

from ..clock import Clock
from ..kernel.lua import load_script, run_script_many
from ..kernel.replies import text
from ..keys import KeySpace

# The admin shows this many locks at most; the index stays exact beyond it.
PAGE_SIZE = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """One unique lock as the admin sees it."""

    digest: str
    owner: str
    actor: str
    label: str
    # Seconds until the lock expires on its own.
    ttl: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LockRequest:
    """One message asking for the lock of its job identity, as ``acquire`` takes it."""

    digest: str
    owner: str
    # Seconds the lock lives from now.
    ttl: float
    actor: str = ""
    label: str = ""


@functools.cache
class UniqueJobs:
    """Take, renew, release and list unique locks in Redis."""

    def __init__(self, client: redis.Redis, keys: KeySpace, *, clock: Clock | None = None) -> None:
        """Use ``client`` and ``keys``; ``clock=None`` means the Redis server's clock."""
        self.client = client
        self.keys = keys
        self.clock = clock
        self._acquire = load_script(client, __package__, "acquire")
        self._release = load_script(client, __package__, "release")
        self._enqueue = load_script(client, __package__, "enqueue")

    def acquire(self, digest: str, owner: str, ttl: float, *, actor: str = "", label: str = "") -> str:
        """Take or renew the lock of ``digest`` for ``owner`` for ``ttl`` seconds.

        Return the id of the message holding the lock afterwards: ``owner``
        when it was taken or renewed, another id when it was refused.
        """
        milliseconds = max(1, int(ttl * 1000))
        holder = self._acquire(
            keys=[self.keys("lock", digest), self.keys("locks")],
            args=[self._now(), owner, milliseconds, digest, actor, label],
        )
        return str(holder.decode())

    def acquire_many(self, requests: Sequence[LockRequest]) -> list[str]:
        """Take or renew each lock as ``acquire`` does, in order, in one round trip; return each holder.

        Two requests for one identity are decided in order: the second sees
        the first's lock.
        """
        now = self._now()
        calls = [
            (
                [self.keys("lock", request.digest), self.keys("locks")],
                [now, request.owner, max(1, int(request.ttl * 1000)), request.digest, request.actor, request.label],
            )
            for request in requests
        ]
        return [text(holder) for holder in run_script_many(self.client, self._acquire, calls)]

    def enqueue_call(
        self, request: LockRequest, enqueue_keys: Sequence[str], enqueue_args: Sequence[Any], *, refusable: bool
    ) -> tuple[Script, list[Any], list[Any]]:
        """Return the script call that takes ``request``'s lock and enqueues one message, for ``run_scripts``.

        ``enqueue_keys`` and ``enqueue_args`` are the dispatch broker's enqueue
        of that one message (see ``lua/enqueue.lua``). With ``refusable`` a lock
        held by another message stops the send. The reply is the holder, as
        ``acquire`` returns it (bytes).
        """
        keys = [*enqueue_keys, self.keys("lock", request.digest), self.keys("locks")]
        milliseconds = max(1, int(request.ttl * 1000))
        args = [
            *enqueue_args,
            self._now(),
            request.owner,
            milliseconds,
            request.digest,
            request.actor,
            request.label,
            "1" if refusable else "0",
        ]
        return self._enqueue, keys, args

    def acquire_and_enqueue(self, request: LockRequest, enqueue_keys: Sequence[str], enqueue_args: Sequence[Any], *, refusable: bool) -> str:
        """Run ``enqueue_call``'s call; return the lock's holder afterwards (the message was sent unless refused)."""
        script, keys, args = self.enqueue_call(request, enqueue_keys, enqueue_args, refusable=refusable)
        return text(script(keys=keys, args=args))

    def release(self, digest: str, owner: str) -> bool:
        """Delete the lock of ``digest`` if ``owner`` holds it; tell whether it did."""
        return self.release_many([(digest, owner)]) == 1

    def release_many(self, locks: Sequence[tuple[str, str]]) -> int:
        """Delete each ``(digest, owner)`` lock that its owner holds, in one call; return how many."""
        if not locks:
            return 0
        keys = [self.keys("locks"), *(self.keys("lock", digest) for digest, _ in locks)]
        args = [part for digest, owner in locks for part in (owner, digest)]
        return int(self._release(keys=keys, args=args))

    def holder(self, digest: str) -> str | None:
        """Return the id of the message holding the lock of ``digest``, if any."""
        owner = self.client.hget(self.keys("lock", digest), "owner")
        return text(owner) if owner is not None else None

    def holders(self, digests: Sequence[str]) -> list[str | None]:
        """Return the holder of each lock of ``digests`` (``None`` if free), in one round trip."""
        with self.client.pipeline(transaction=False) as pipe:
            for digest in digests:
                pipe.hget(self.keys("lock", digest), "owner")
            owners = pipe.execute()
        return [None if owner is None else text(owner) for owner in owners]

    def count(self) -> int:
        """Return how many locks the index lists (expired ones may linger until the next take)."""
        return int(self.client.zcard(self.keys("locks")))

    def locks(self, limit: int = PAGE_SIZE) -> list[Lock]:
        """Return up to ``limit`` live locks, those expiring soonest first."""
        digests = [text(member) for member in self.client.zrange(self.keys("locks"), 0, limit - 1)]
        pipe = self.client.pipeline(transaction=False)
        for digest in digests:
            pipe.hgetall(self.keys("lock", digest))
            pipe.pttl(self.keys("lock", digest))
        replies = pipe.execute()
        found = []
        for digest, fields, pttl in zip(digests, replies[::2], replies[1::2], strict=True):
            if not fields or pttl < 0:
                continue
            found.append(
                Lock(
                    digest=digest,
                    owner=fields[b"owner"].decode(),
                    actor=fields.get(b"actor", b"").decode(),
                    label=fields.get(b"label", b"").decode(errors="replace"),
                    ttl=pttl / 1000,
                )
            )
        return found

    def _now(self) -> str:
        return "" if self.clock is None else str(round(self.clock() * 1000))
