"""One leader among all worker processes, for duties that must run once per cluster.

Worker processes take part through ``process_election()`` (the ``Periodic``
middleware does so at worker boot); ``is_leader()`` answers for the calling
process, and ``current_leader()`` / ``leader_changes()`` answer for the
cluster, for the admin page and ``manage.py scalejobs status``.
"""

from __future__ import annotations

import functools

from ..clock import RedisClock
from ..conf import get_settings
from ..store import keyspace, redis_client
from .duty import LeaderDuty
from .election import Election
from .engine import Candidate, Leader, LeaderChange, LeaderLease

__all__ = [
    "Candidate",
    "Election",
    "Leader",
    "LeaderChange",
    "LeaderDuty",
    "LeaderLease",
    "current_leader",
    "is_leader",
    "leader_changes",
    "leader_lease",
    "process_election",
]


def leader_lease() -> LeaderLease:
    """Return the lease engine configured by ``SCALEJOBS["LEADER"]``, on Redis time."""
    client = redis_client()
    return LeaderLease(client, keyspace("leader"), lease_seconds=get_settings().leader.lease_seconds, clock=RedisClock(client))


@functools.cache
def process_election() -> Election:
    """Return this process's election (built once; started by ``take_part()``)."""
    settings = get_settings().leader
    return Election(leader_lease(), renew_seconds=settings.renew_seconds, check_seconds=settings.check_seconds)


def is_leader() -> bool:
    """Tell whether this process currently holds the cluster leadership.

    Only worker processes with the ``Periodic`` middleware take part in the
    election; anywhere else this is ``False``.
    """
    return process_election().is_leader


def current_leader() -> Leader | None:
    """Return the process that leads the cluster now, or ``None`` if nobody does."""
    return leader_lease().holder()


def leader_changes(limit: int = 20) -> list[LeaderChange]:
    """Return the most recent leadership changes, newest first."""
    return leader_lease().changes(limit)
