"""Keep one cluster-wide leader with a lease in Redis.

Invariant: at most one unlapsed lease exists, and only the token that took
it can renew or release it. Time comes from the injected clock (Redis
``TIME`` in production) so machines with drifting clocks agree on when a
lease lapses; a lapsed lease goes to the next candidate that bids.

Keys (under ``<prefix>:leader``):

- ``lease``: hash of token, host, pid, since and expires (ms); it also
  PEXPIREs with the lease, so a dead leader leaves nothing behind.
- ``changes``: list of JSON leader changes, newest first, capped.

A leader that steps down publishes on the channel ``<prefix>:leader:released``
so that followers bid at once instead of at their next check.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..kernel.lua import load_script
from ..keys import KeySpace


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One process taking part in the election; the token tells its runs apart."""

    host: str
    pid: int
    token: str

    @classmethod
    def of_this_process(cls) -> Candidate:
        """Return a fresh candidate for the calling process."""
        return cls(host=socket.gethostname(), pid=os.getpid(), token=uuid.uuid4().hex)


@dataclass(frozen=True, slots=True, kw_only=True)
class Leader:
    """Who holds the lease; times are seconds since the epoch, by Redis."""

    host: str
    pid: int
    since: float
    expires: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Bid:
    """The outcome of asking for the lease."""

    won: bool
    holder: Leader
    #: Seconds until the holder's lease lapses, by the clock the bid used.
    remaining: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderChange:
    """One entry of the leadership history.

    ``event`` is ``"elected"`` or ``"released"``; an election's ``reason``
    is ``"vacant"`` (nobody held the lease) or ``"expired"`` (the previous
    holder, named in ``previous_host``/``previous_pid``, stopped renewing).
    """

    event: str
    host: str
    pid: int
    at: float
    reason: str = ""
    previous_host: str = ""
    previous_pid: int | None = None


class LeaderLease:
    """Bid for, renew, release and read the leader lease."""

    def __init__(
        self,
        client: Any,
        keys: KeySpace,
        *,
        lease_seconds: float,
        clock: Clock,
        changes_kept: int = 20,
    ) -> None:
        self.client = client
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.changes_kept = changes_kept
        self.lease_key = keys("lease")
        self.changes_key = keys("changes")
        self.channel = keys("released")
        self._acquire = load_script(client, __package__, "acquire")
        self._renew = load_script(client, __package__, "renew")
        self._release = load_script(client, __package__, "release")

    def bid(self, candidate: Candidate) -> Bid:
        """Take the lease if it is free or lapsed (renew it if already held); say who holds it."""
        now = self._now_ms()
        reply = self._acquire(
            keys=[self.lease_key, self.changes_key],
            args=[candidate.token, candidate.host, candidate.pid, now, self._lease_ms(), self.changes_kept],
        )
        if reply[0] == 1:
            host, pid, since, expires = candidate.host, candidate.pid, reply[1], reply[2]
        else:
            host, pid, since, expires = reply[1].decode(), int(reply[2]), int(reply[3]), int(reply[4])
        leader = Leader(host=host, pid=pid, since=since / 1000, expires=expires / 1000)
        return Bid(won=reply[0] == 1, holder=leader, remaining=(expires - now) / 1000)

    def renew(self, candidate: Candidate) -> bool:
        """Extend the lease by a full term; return ``False`` if ``candidate`` no longer holds it."""
        return bool(self._renew(keys=[self.lease_key], args=[candidate.token, self._now_ms(), self._lease_ms()]) == 1)

    def release(self, candidate: Candidate) -> bool:
        """Give the lease up and notify followers; return ``False`` if it was not held."""
        reply = self._release(
            keys=[self.lease_key, self.changes_key],
            args=[candidate.token, self._now_ms(), self.changes_kept, self.channel],
        )
        return bool(reply == 1)

    def holder(self) -> Leader | None:
        """Return the current leader, or ``None`` when the lease is free or lapsed."""
        fields = self.client.hmget(self.lease_key, "host", "pid", "since", "expires")
        if None in fields:
            return None
        host, pid, since, expires = fields
        leader = Leader(host=host.decode(), pid=int(pid), since=int(since) / 1000, expires=int(expires) / 1000)
        return leader if leader.expires > self.clock() else None

    def changes(self, limit: int = 20) -> list[LeaderChange]:
        """Return the most recent leader changes, newest first."""
        changes = []
        for raw in self.client.lrange(self.changes_key, 0, limit - 1):
            record = json.loads(raw)
            record["at"] = record["at"] / 1000
            changes.append(LeaderChange(**record))
        return changes

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _lease_ms(self) -> int:
        return max(1, int(self.lease_seconds * 1000))
