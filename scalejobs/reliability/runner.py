"""Run orphan recovery: silent workers by every process, every pulse; the rest by the leader, every interval.

Every worker process joins the leader election (the same one the periodic
scheduler uses: one election thread per process). Every ``PULSE_SECONDS``
the leader looks for worker processes silent ``SILENCE_SECONDS`` (see
``pulses``) and recovers their messages at once; the other processes look
too and step in once a process has been silent ``FOLLOWER_GRACE`` pulses
longer, so a leader that died with it (a whole task SIGKILLed) costs two
pulse, not its lease, which may keep landing on a crash-looping task. The
Lua move is atomic and checks the silence again, so whoever comes second
finds nothing left to move. Every ``RECOVERY_INTERVAL_SECONDS`` the leader
alone also recovers the workers dead by Dramatiq's heartbeat (plain
Dramatiq workers) and stranded delayed messages.

Before recovering a process, a pass counts a death for each job it was
running, so messages whose workers died under them more than
``MAX_DEATHS`` times are dead-lettered instead; once a process is
recovered, the concurrency slots it held are freed, so its jobs can take
them again at once. After a Redis error the next attempt backs off from
one second up to the interval.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import redis

from ..leader import Election, LeaderDuty
from .deliveries import DeliveryLedger
from .recovery import OrphanRecovery
from .values import Death, RecoveryPass

logger = logging.getLogger(__name__)

# Pulses of silence past SILENCE_SECONDS after which a follower recovers a process the leader left alone:
# enough for a live leader to come first, little enough that a dead one costs a second.
FOLLOWER_GRACE = 1
# The first wait after a Redis error; it doubles up to the recovery interval.
RETRY_SECONDS = 1.0


class RecoveryThread(LeaderDuty):
    """The thread that recovers orphaned messages while this process leads."""

    thread_name = "scalejobs-recovery"

    def __init__(
        self,
        recovery: OrphanRecovery,
        election: Election,
        *,
        interval: float,
        check: float = 1.0,
        queues: Callable[[], Iterable[str]],
        wake: Callable[[str], object] | None = None,
        ledger: DeliveryLedger | None = None,
        max_deaths: int | None = None,
        poisoned: Callable[[Death], object] | None = None,
        free_slots: Callable[[str], object] | None = None,
        recovered: Callable[[RecoveryPass], object] | None = None,
    ) -> None:
        self.recovery = recovery
        self.interval = interval
        self.check = check
        self.queues = queues
        self.wake = wake
        self.ledger = ledger
        self.max_deaths = max_deaths
        self.poisoned = poisoned
        self.free_slots = free_slots
        self.recovered = recovered
        super().__init__(election)

    def run_silent_pass(self, grace: float = 0.0) -> RecoveryPass:
        """Recover the processes silent too long (``grace`` seconds more), their deaths counted first, their slots freed after."""
        silent = self.recovery.silent(grace)
        if not silent.workers:
            return RecoveryPass()
        poison = self._bury(silent.workers)
        result = self.recovery.run_silent(silent, poison=poison.keys())
        self._free(result)
        self._dead_letter(result, poison)
        return result

    def run_pass(self) -> RecoveryPass:
        """Count the dead processes' deaths, then recover their messages; dead-letter the poisoned ones."""
        poison = self._bury(self.recovery.dead(self.ledger.processes())) if self.ledger is not None else {}
        result = self.recovery.run(self.queues(), poison=poison.keys())
        self._free(result)
        self._dead_letter(result, poison)
        return result

    def _free(self, result: RecoveryPass) -> None:
        # After the requeue: a recovered job refused its own slot for a moment is postponed and comes back.
        if self.free_slots is not None:
            for worker in result.workers:
                self.free_slots(worker)

    def _bury(self, processes: Iterable[str]) -> dict[str, Death]:
        poison: dict[str, Death] = {}
        if self.ledger is None:
            return poison
        for process in processes:
            for death in self.ledger.bury(process):
                if self.max_deaths is not None and death.deaths > self.max_deaths:
                    poison[death.redis_id] = death
        return poison

    def _dead_letter(self, result: RecoveryPass, poison: dict[str, Death]) -> None:
        for _, redis_id in result.poisoned:
            if self.poisoned is not None:
                self.poisoned(poison[redis_id])

    def _run(self) -> None:
        retry = RETRY_SECONDS
        full_pass_at = 0.0
        while not self._stopping.is_set():
            leading = self.election.is_leader
            try:
                self._report(self.run_silent_pass(grace=0.0 if leading else FOLLOWER_GRACE * self.check))
                if not leading:
                    full_pass_at = 0.0  # a process that comes to lead passes at once
                elif time.monotonic() >= full_pass_at:
                    self._report(self.run_pass())
                    full_pass_at = time.monotonic() + self.interval
                retry, delay = RETRY_SECONDS, self.check
            except (redis.RedisError, OSError) as error:
                logger.warning("scalejobs: orphan recovery cannot reach Redis (%s); retrying in %.0f s.", error, retry)
                retry, delay = min(retry * 2, self.interval), retry
            except Exception:  # a thread boundary: log, and try again next interval
                logger.exception("scalejobs: orphan recovery failed; retrying in %.0f s.", self.interval)
                delay = self.interval
            self._stopping.wait(delay)

    def _report(self, result: RecoveryPass) -> None:
        for recovery in result.recoveries:
            queues = ", ".join(f"{count} on {queue}" for queue, count in sorted(recovery.queues.items()))
            after = f" {recovery.delay:.1f} s after its last {recovery.by}" if recovery.delay is not None else ""
            logger.warning("scalejobs: recovered %d message(s) of %s %s%s: %s.", recovery.messages, recovery.kind, recovery.worker, after, queues)
        if result.recoveries and self.recovered is not None:
            try:
                self.recovered(result)
            except (redis.RedisError, OSError) as error:
                logger.info("scalejobs: could not count the recovery in the dashboard's metrics: %s", error)
        if self.wake is None:
            return
        for queue in sorted(result.queues):
            try:
                self.wake(queue)
            except (redis.RedisError, OSError) as error:
                logger.info("scalejobs: could not wake the consumers of %s: %s", queue, error)
