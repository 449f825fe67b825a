"""Run the periodic scheduler inside a worker process.

``scheduler_thread`` (the slice's leader duty, started by the ``Periodic``
middleware) joins the process to the leader election and runs a thread that, while this process leads, sends every due tick and then sleeps
until the next one. Followers only wait to lead. ``periodic_scheduler``
builds the same engine for the admin pages.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

import dramatiq
import redis

from ..clock import RedisClock
from ..conf import get_settings
from ..jobs import enqueue
from ..leader import Election, LeaderDuty, process_election
from ..store import keyspace, redis_client
from .declarations import Declarations, declared_entries
from .engine import PeriodicScheduler, Send
from .records import Entry

logger = logging.getLogger(__name__)

# Longest sleep between passes, so a resumed entry or a lost lead is noticed soon.
MAX_SLEEP_SECONDS = 5.0
# How often a follower looks for a stop request while waiting to lead.
POLL_SECONDS = 0.5
# After an unexpected error a pass is retried this many seconds later.
RETRY_SECONDS = 1.0


def sender(actors: Mapping[str, dramatiq.Actor[..., Any]]) -> Send:
    """Return the ``send`` the engine calls: enqueue the entry's job, tagged with its tick."""

    def send(entry: Entry, tick: int | None) -> str | None:
        actor = actors[entry.name]
        options = {"periodic_entry": entry.name, "periodic_tick": tick}
        message = enqueue(actor, entry.args, entry.kwargs, on_commit=False, options=options, queue_name=entry.queue)
        return message.message_id if message is not None else None

    return send


def periodic_scheduler(declarations: Declarations) -> PeriodicScheduler:
    """Return the engine for ``declarations``, configured by ``SCALEJOBS["PERIODIC"]``."""
    settings = get_settings().periodic
    client = redis_client()
    return PeriodicScheduler(
        client,
        keyspace("periodic"),
        send=sender(declarations.actors),
        clock=RedisClock(client),
        owner=f"{socket.gethostname()}:{os.getpid()}",
        catch_up_seconds=settings.catch_up_seconds,
        history=settings.history,
    )


class SchedulerThread(LeaderDuty):
    """The thread that sends due ticks while this process leads."""

    thread_name = "scalejobs-periodic"

    def __init__(self, scheduler: PeriodicScheduler, entries: tuple[Entry, ...], election: Election) -> None:
        self.scheduler = scheduler
        self.entries = entries
        super().__init__(election)

    def _has_work(self) -> bool:
        return bool(self.entries)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.election.wait_until_leading(POLL_SECONDS):
                continue
            try:
                self.scheduler.run_due(
                    self.entries, leader_since=self.election.leader_since, leading=lambda: self.election.is_leader
                )
                next_tick = self.scheduler.next_due(self.entries)
                delay = MAX_SLEEP_SECONDS if next_tick is None else next_tick - self.scheduler.clock()
            except (redis.RedisError, OSError) as error:
                logger.warning("scalejobs: periodic pass cannot reach Redis (%s); retrying in %s s.", error, RETRY_SECONDS)
                delay = RETRY_SECONDS
            except Exception:  # a thread boundary: log, carry on with the next pass
                logger.exception("scalejobs: periodic pass failed; retrying in %s s.", RETRY_SECONDS)
                delay = RETRY_SECONDS
            self._stopping.wait(min(max(delay, 0.0), MAX_SLEEP_SECONDS))


def scheduler_thread(broker: dramatiq.Broker) -> SchedulerThread:
    """Return this worker process's scheduler thread, not yet started (the periodic slice's leader duty)."""
    declarations = declared_entries(broker)
    for problem in declarations.problems:
        logger.error("scalejobs: periodic entry %r left out: %s (%s)", problem.entry, problem.message, problem.where)
    return SchedulerThread(periodic_scheduler(declarations), declarations.entries, process_election())
