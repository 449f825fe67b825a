"""Admit work past a set of limiters, all or none, in one Lua script on Redis time.

Invariants: a ``concurrency`` count never holds more live slots than its
limit, and each slot is owned by one holder token (only that token renews or
frees it; a dead holder's slot lapses at its expiry); ``window`` admits at
most ``limit`` in any ``per``; ``bucket`` at most ``limit`` per aligned
period; ``leaky`` at most ``size`` plus ``size`` per ``per`` of elapsed time.
A refusal takes nothing from any limiter.

Redis keys, under ``<prefix>:throttle``:

- ``<id>``: the count of one limiter and scope, e.g. ``concurrency:report``
  (zset holder -> expiry), ``window:2000:report`` (zset holder -> start),
  ``bucket:60000:report`` (hash), ``leaky:1000:report`` (hash).
- ``stats:<id>``: hash ``{limit, throttled, reclaimed}``.
- ``index``: zset ``id -> last use ms``, which the admin lists.
- ``owner:<broker id>``: hash ``holder -> [count key, ...]``, the concurrency
  slots a worker process holds, written in the call that takes them, so
  crash recovery frees a dead process's slots at once (``free_owner``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from ..clock import Clock
from ..kernel.lua import load_script
from ..kernel.replies import text
from ..keys import KeySpace

# How long an unused limiter stays listed in the admin, with its stats.
KEEP_SECONDS = 24 * 3600
# The admin lists this many limiters at most, most recently used first.
PAGE_SIZE = 200
KINDS = ("concurrency", "window", "bucket", "leaky")


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A place a job needs in one limiter's count."""

    kind: str
    limit: int
    # Seconds: the limiter's ``per``, or the slot lifetime of a ``concurrency``.
    period: float
    scope: str

    @property
    def ident(self) -> str:
        """Return the count's id, e.g. ``window:2000:report`` or ``concurrency:report``."""
        if self.kind == "concurrency":
            return f"concurrency:{self.scope}"
        return f"{self.kind}:{round(self.period * 1000)}:{self.scope}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The answer to one ``acquire``."""

    admitted: bool
    # Seconds until the refusing limiter could admit; 0 when it cannot tell.
    wait: float = 0.0
    refused_by: Claim | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """One limiter's count as the admin shows it."""

    ident: str
    kind: str
    scope: str
    limit: int
    # Seconds: the limiter's ``per``; 0 for ``concurrency``.
    period: float
    in_use: float
    throttled: int
    reclaimed: int


@functools.cache
class Throttles:
    """Take and give back places in limiters; report their use."""

    def __init__(self, client: redis.Redis, keys: KeySpace, *, clock: Clock | None = None) -> None:
        """Use ``client`` and ``keys``; ``clock=None`` means the Redis server's clock."""
        self.client = client
        self.keys = keys
        self.clock = clock
        self._acquire = load_script(client, __package__, "acquire")
        self._renew = load_script(client, __package__, "renew")
        self._usage = load_script(client, __package__, "usage")

    def acquire(self, claims: Sequence[Claim], holder: str, *, owner: str | None = None) -> Decision:
        """Take a place in every claim for ``holder``, or in none if one refuses.

        With ``owner`` (a worker process's broker id), the slots taken are recorded
        as that process's, in the same call, until ``release_many`` frees them.
        """
        if not claims:
            return Decision(admitted=True)
        keys = [self.keys("index"), self.keys("owner", owner or "-")]
        args: list[str | int | float] = [self._now(), holder, KEEP_SECONDS * 1000, "1" if owner else ""]
        for claim in claims:
            keys += [self.keys(claim.ident), self.keys("stats", claim.ident)]
            args += [claim.kind, claim.limit, round(claim.period * 1000), claim.ident]
        admitted, wait, index = self._acquire(keys=keys, args=args)
        if admitted:
            return Decision(admitted=True)
        return Decision(admitted=False, wait=wait / 1000, refused_by=claims[index - 1])

    def release(self, claims: Sequence[Claim], holder: str, *, owner: str | None = None) -> None:
        """Free ``holder``'s concurrency slots; a slot it no longer owns is left alone."""
        self.release_many([(claims, holder)], owner=owner)

    def release_many(self, holdings: Sequence[tuple[Sequence[Claim], str]], *, owner: str | None = None) -> None:
        """Free the concurrency slots of many ``(claims, holder)`` holdings in one call (``owner`` as given to ``acquire``)."""
        removals = [(self.keys(claim.ident), holder) for claims, holder in holdings for claim in claims if claim.kind == "concurrency"]
        if not removals:
            return
        if len(removals) == 1 and owner is None:
            self.client.zrem(*removals[0])
            return
        pipe = self.client.pipeline(transaction=False)
        for key, holder in removals:
            pipe.zrem(key, holder)
        if owner is not None:
            pipe.hdel(self.keys("owner", owner), *{holder for _, holder in removals})
        pipe.execute()

    def free_owner(self, owner: str) -> int:
        """Free every concurrency slot the dead worker process ``owner`` still held; return how many holders had some."""
        key = self.keys("owner", owner)
        held = self.client.hgetall(key)
        pipe = self.client.pipeline(transaction=False)
        for holder, counts in held.items():
            for count in json.loads(counts):
                pipe.zrem(count, holder)
        pipe.delete(key)
        pipe.execute()
        return len(held)

    def renew(self, claims: Sequence[Claim], holder: str) -> int:
        """Extend ``holder``'s concurrency slots by their lock timeout; return how many it still owned."""
        slots = [claim for claim in claims if claim.kind == "concurrency"]
        if not slots:
            return 0
        keys = [self.keys(claim.ident) for claim in slots]
        args: list[str | int] = [self._now(), holder, *(round(claim.period * 1000) for claim in slots)]
        return int(self._renew(keys=keys, args=args))

    def usage(self, limit: int = PAGE_SIZE) -> list[Usage]:
        """Return the limiters used in the last day, most recently used first."""
        idents = [text(member) for member in self.client.zrevrange(self.keys("index"), 0, limit - 1)]
        parsed = [parse_ident(ident) for ident in idents]
        keys: list[str] = []
        args: list[str | int | float] = [self._now()]
        for ident, (kind, period, _) in zip(idents, parsed, strict=True):
            keys += [self.keys(ident), self.keys("stats", ident)]
            args += [kind, round(period * 1000) or 1]
        rows = self._usage(keys=keys, args=args) if keys else []
        return [
            Usage(
                ident=ident,
                kind=kind,
                scope=scope,
                limit=int(row[0]),
                period=period,
                in_use=float(row[1]),
                throttled=int(row[2]),
                reclaimed=int(row[3]),
            )
            for ident, (kind, period, scope), row in zip(idents, parsed, rows, strict=True)
        ]

    def _now(self) -> str:
        return "" if self.clock is None else str(round(self.clock() * 1000))



def parse_ident(ident: str) -> tuple[str, float, str]:
    """Split a count id into kind, period seconds (0 for concurrency) and scope."""
    kind, _, rest = ident.partition(":")
    if kind == "concurrency":
        return kind, 0.0, rest
    period, _, scope = rest.partition(":")
    return kind, int(period) / 1000, scope
