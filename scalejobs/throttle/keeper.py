"""Keep the concurrency slots of running work alive until it ends, and hand them on.

A slot lives ``lock_timeout`` seconds unless renewed. This thread renews each
held slot every third of its timeout, so a job may run longer than the
timeout, while a holder that dies without releasing (SIGKILL, OOM) stops
renewing and its slot lapses at most ``lock_timeout`` later.

A worker thread whose job ends *parks* its slots for ``SPARE_SECONDS``: if
its next job names the same limiters it takes them over with no Redis call
(the slots stay owned and renewed meanwhile, so the limit still holds);
otherwise this thread gives them back when the time is up. A stream of
short throttled jobs so costs no round trip per job to take and free slots.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis

from .engine import Claim

logger = logging.getLogger(__name__)

# Renew a slot when this share of its timeout has passed since the last renewal.
RENEW_AT = 1 / 3
# Never wake more often than this, in seconds.
SHORTEST_TICK = 0.02
# Wake this often when nothing is held, in seconds.
IDLE_TICK = 1.0
# How long a thread keeps the slots of its last job for its next one, in seconds.
SPARE_SECONDS = 0.05

Renew = Callable[[Sequence[Claim], str], int]
Release = Callable[[tuple[Claim, ...], str], None]


@dataclass(slots=True)
class _Holding:
    claims: tuple[Claim, ...]
    every: float
    due: float
    # When parked by a thread whose job ended: the moment it is given back.
    spare_until: float | None = None


class SlotKeeper:
    """Renew held slots and give back unused spares, in a daemon thread until ``stop()``."""

    def __init__(self, renew: Renew, release: Release) -> None:
        self._renew = renew
        self._release = release
        self._held: dict[str, _Holding] = {}
        # Each thread's parked holder, by thread id.
        self._spares: dict[int, str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # Set to wake the thread early, when something falls due before its next tick.
        self._wake = threading.Event()
        self._next_tick = float("inf")
        self._thread: threading.Thread | None = None

    def hold(self, holder: str, claims: Sequence[Claim]) -> None:
        """Start renewing ``holder``'s concurrency slots."""
        slots = tuple(claim for claim in claims if claim.kind == "concurrency")
        if slots:
            every = max(SHORTEST_TICK, min(claim.period for claim in slots) * RENEW_AT)
            due = time.monotonic() + every
            with self._lock:
                self._held[holder] = _Holding(slots, every, due)
            self._wake_before(due, slack=0.0)

    def drop(self, holder: str) -> None:
        """Stop renewing ``holder``'s slots (the caller frees them)."""
        with self._lock:
            self._held.pop(holder, None)

    def park(self, holder: str) -> None:
        """Keep ``holder``'s slots for this thread's next job, giving back any spare it had."""
        until = time.monotonic() + SPARE_SECONDS
        thread = threading.get_ident()
        with self._lock:
            holding = self._held.get(holder)
            if holding is None:
                return
            holding.spare_until = until
            previous = self._spares.pop(thread, None)
            self._spares[thread] = holder
            old = self._held.pop(previous, None) if previous is not None else None
        if old is not None and previous is not None:
            self._release(old.claims, previous)
        # Waking for every parked spare would cost the job threads more than it saves.
        self._wake_before(until, slack=SPARE_SECONDS)

    def take(self, claims: Sequence[Claim]) -> str | None:
        """Return this thread's spare holder if it holds exactly ``claims``, taking it out of the spares."""
        thread = threading.get_ident()
        with self._lock:
            holder = self._spares.get(thread)
            holding = self._held.get(holder) if holder is not None else None
            if holding is None or holding.claims != tuple(claims) or holding.spare_until is None:
                return None
            if holding.spare_until <= time.monotonic():
                return None
            del self._spares[thread]
            holding.spare_until = None
            return holder

    def release_spares(self, *, all_: bool = False) -> None:
        """Give back the spares whose time is up (every spare with ``all_``)."""
        now = time.monotonic()
        given: list[tuple[tuple[Claim, ...], str]] = []
        with self._lock:
            for thread, holder in list(self._spares.items()):
                holding = self._held.get(holder)
                if holding is None or holding.spare_until is None or all_ or holding.spare_until <= now:
                    del self._spares[thread]
                    if holding is not None and holding.spare_until is not None:
                        del self._held[holder]
                        given.append((holding.claims, holder))
        for claims, holder in given:
            self._release(claims, holder)

    def start(self) -> None:
        """Start the keeping thread, once."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="scalejobs-slot-keeper", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the keeping thread, give back every spare, and wait for the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.release_spares(all_=True)

    def renew_due(self) -> float:
        """Renew every holding that is due, give back stale spares; return the seconds until the next duty."""
        self.release_spares()
        now = time.monotonic()
        with self._lock:
            due = [(holder, holding) for holder, holding in self._held.items() if holding.due <= now]
        for holder, holding in due:
            try:
                if self._renew(holding.claims, holder) < len(holding.claims):
                    logger.warning("Holder %s lost a concurrency slot: it ran past its lock_timeout unrenewed.", holder)
            except redis.RedisError as error:
                logger.warning("Could not renew the concurrency slots of %s: %s", holder, error)
            holding.due = now + holding.every
        with self._lock:
            duties = [holding.due for holding in self._held.values()]
            duties += [holding.spare_until for holding in self._held.values() if holding.spare_until is not None]
        nearest = min(duties, default=now + IDLE_TICK)
        return max(SHORTEST_TICK, min(IDLE_TICK, nearest - time.monotonic()))

    def _wake_before(self, moment: float, *, slack: float) -> None:
        if moment + slack < self._next_tick:
            self._wake.set()

    def _run(self) -> None:
        tick = 0.0
        while True:
            self._next_tick = time.monotonic() + tick
            self._wake.wait(tick)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                tick = self.renew_due()
            except Exception:
                logger.exception("The slot keeper failed; carrying on.")
                tick = IDLE_TICK
