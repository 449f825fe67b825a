"""Run orphan recovery in the elected leader, every ``RECOVERY_INTERVAL_SECONDS``.

Every worker process joins the leader election (the same one the periodic
scheduler uses: one election thread per process); the one that leads runs
a pass as soon as it leads and then at a fixed interval, with no random
draw, so a dead worker's jobs are back within the broker's
``heartbeat_timeout`` plus one interval. A pass first counts a death for
each job the dead processes were running, then recovers their messages,
dead-lettering those whose workers died under them more than
``MAX_DEATHS`` times. After a Redis error the next attempt backs off from
one second up to the interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import redis

from ..leader import Election
from ..leader.duty import LeaderDuty
from .deliveries import DeliveryLedger
from .recovery import OrphanRecovery
from .values import Death, RecoveryPass

logger = logging.getLogger(__name__)

# How often a follower looks for a stop request while waiting to lead.
POLL_SECONDS = 0.5
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
        queues: Callable[[], Iterable[str]],
        wake: Callable[[str], object] | None = None,
        ledger: DeliveryLedger | None = None,
        max_deaths: int | None = None,
        poisoned: Callable[[Death], object] | None = None,
    ) -> None:
        self.recovery = recovery
        self.interval = interval
        self.queues = queues
        self.wake = wake
        self.ledger = ledger
        self.max_deaths = max_deaths
        self.poisoned = poisoned
        super().__init__(election)

    def run_pass(self) -> RecoveryPass:
        """Count the dead processes' deaths, then recover their messages; dead-letter the poisoned ones."""
        poison: dict[str, Death] = {}
        if self.ledger is not None:
            for process in self.recovery.dead(self.ledger.processes()):
                for death in self.ledger.bury(process):
                    if self.max_deaths is not None and death.deaths > self.max_deaths:
                        poison[death.redis_id] = death
        result = self.recovery.run(self.queues(), poison=poison.keys())
        for _, redis_id in result.poisoned:
            if self.poisoned is not None:
                self.poisoned(poison[redis_id])
        return result

    def _run(self) -> None:
        retry = RETRY_SECONDS
        while not self._stopping.is_set():
            if not self.election.wait_until_leading(POLL_SECONDS):
                continue
            try:
                self._report(self.run_pass())
                retry, delay = RETRY_SECONDS, self.interval
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
            logger.warning("scalejobs: recovered %d message(s) of %s %s: %s.", recovery.messages, recovery.kind, recovery.worker, queues)
        if self.wake is None:
            return
        for queue in sorted(result.queues):
            try:
                self.wake(queue)
            except (redis.RedisError, OSError) as error:
                logger.info("scalejobs: could not wake the consumers of %s: %s", queue, error)
