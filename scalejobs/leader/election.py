"""Take part in the leader election from a background thread.

A follower bids when the holder's lease lapses (the failed bid says when),
when a leader announces that it stepped down, and at the latest every
``check_seconds``. The leader renews every ``renew_seconds`` and counts
itself leader only while its last renewal is certainly in force: from the
moment the renewal was *sent*, less a safety margin. Withdrawing releases
the lease, so a clean shutdown hands over at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import redis

from .engine import Candidate, LeaderLease
from .notices import ReleaseNotices

logger = logging.getLogger(__name__)

# Count the lease as lapsed this share of its length early, to absorb thread
# scheduling delays and the drift between the local and the Redis clock.
SAFETY_MARGIN = 0.1
# Followers spread their bids over this many seconds so they do not all arrive at once.
BID_JITTER = 0.05
# Renewals are spread by this share of their interval, for the same reason.
RENEW_JITTER = 0.1
# After a Redis error the next attempt comes this many seconds later.
RETRY_SECONDS = 1.0
# How often a lapsed leader's waiter looks again.
POLL_SECONDS = 0.2
# How long withdraw() waits for the thread to release the lease.
STOP_TIMEOUT = 5.0


class Election:
    """This process's place in the election: follower or leader."""

    def __init__(
        self,
        lease: LeaderLease,
        *,
        renew_seconds: float,
        check_seconds: float,
        candidate: Callable[[], Candidate] = Candidate.of_this_process,
    ) -> None:
        self.lease = lease
        self.renew_seconds = renew_seconds
        self.check_seconds = check_seconds
        self._new_candidate = candidate
        self._lock = threading.Lock()
        self._participants = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._leading = threading.Event()
        self._valid_until = 0.0
        self._since: float | None = None
        self._unreachable = False

    @property
    def is_leader(self) -> bool:
        """Tell whether this process leads, and its lease is certainly in force."""
        return self._leading.is_set() and time.monotonic() < self._valid_until

    @property
    def leader_since(self) -> float | None:
        """Return when this process's leadership began (Redis time), or ``None`` if it follows."""
        return self._since if self.is_leader else None

    def wait_until_leading(self, timeout: float) -> bool:
        """Block until this process leads or ``timeout`` seconds pass; return ``is_leader``."""
        deadline = time.monotonic() + timeout
        while not self.is_leader:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._leading.is_set():
                # The lease outran its last renewal; the election thread is about to decide.
                time.sleep(min(remaining, POLL_SECONDS))
            else:
                self._leading.wait(remaining)
        return True

    def take_part(self) -> None:
        """Join the election; the first participant in the process starts the thread."""
        with self._lock:
            self._participants += 1
            if self._thread is not None:
                return
            # A fresh candidate and stop event per run, so a run still stopping never mixes with the next.
            self._stopping = threading.Event()
            run = (self._new_candidate(), self._stopping)
            self._thread = threading.Thread(target=self._run, args=run, name="scalejobs-leader", daemon=True)
            self._thread.start()

    def withdraw(self) -> None:
        """Leave the election; the last participant stops the thread and releases the lease."""
        with self._lock:
            self._participants = max(0, self._participants - 1)
            if self._participants or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stopping.set()
        thread.join(STOP_TIMEOUT)

    def _run(self, candidate: Candidate, stopping: threading.Event) -> None:
        notices = ReleaseNotices(self.lease.client, self.lease.channel)
        try:
            while not stopping.is_set():
                try:
                    wait = self._step(candidate)
                except Exception:  # a thread boundary: log, and bid or renew again shortly
                    logger.exception("scalejobs: the leader election failed unexpectedly.")
                    wait = RETRY_SECONDS
                notices.wait(wait, stopping, wake_on_notice=not self._leading.is_set())
        finally:
            notices.close()
            self._step_down(candidate, release=True)

    def _step(self, candidate: Candidate) -> float:
        sent = time.monotonic()
        try:
            if self._leading.is_set():
                if self.lease.renew(candidate):
                    self._valid_until = sent + self.lease.lease_seconds * (1 - SAFETY_MARGIN)
                    return self.renew_seconds * random.uniform(1 - RENEW_JITTER, 1)
                logger.warning("scalejobs: lost the leader lease (pid %s); another process took it.", candidate.pid)
                self._step_down(candidate, release=False)
            bid = self.lease.bid(candidate)
        except (redis.RedisError, OSError) as error:
            if not self._unreachable:
                logger.warning("scalejobs: the leader election cannot reach Redis (%s); retrying every %s s.", error, RETRY_SECONDS)
                self._unreachable = True
            if self._leading.is_set() and time.monotonic() >= self._valid_until:
                self._step_down(candidate, release=False)
            return RETRY_SECONDS
        if self._unreachable:
            logger.info("scalejobs: the leader election reaches Redis again.")
            self._unreachable = False
        if bid.won:
            self._valid_until = sent + self.lease.lease_seconds * (1 - SAFETY_MARGIN)
            self._since = bid.holder.since
            if not self._leading.is_set():
                logger.info("scalejobs: this process (pid %s) is now the leader.", candidate.pid)
                self._leading.set()
            return self.renew_seconds * random.uniform(1 - RENEW_JITTER, 1)
        return min(self.check_seconds, max(0.0, bid.remaining)) + random.uniform(0, BID_JITTER)

    def _step_down(self, candidate: Candidate, *, release: bool) -> None:
        was_leading = self._leading.is_set()
        self._leading.clear()
        self._valid_until = 0.0
        self._since = None
        if release and was_leading:
            try:
                self.lease.release(candidate)
                logger.info("scalejobs: this process (pid %s) stepped down as leader.", candidate.pid)
            except (redis.RedisError, OSError) as error:
                logger.warning("scalejobs: could not release the leader lease: %s", error)
