"""Nothing lost: prompt recovery of orphaned jobs, a poison-message guard, and retries that survive a Redis outage.

``orphan_recovery()`` and ``delivery_ledger()`` build the engines from the
settings; ``overview()`` answers the admin page. The ``Reliability``
middleware (``middleware.py``) wires them into the workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import dramatiq

from ..conf import get_settings
from ..errors import ConfigurationError
from ..store import broker_client, keyspace, redis_client
from .deliveries import DeliveryLedger
from .recovery import OrphanRecovery
from .values import Death, Endangered, Poisoned, Recovery, RecoveryPass, RecoveryStats

__all__ = [
    "Death",
    "DeliveryLedger",
    "Endangered",
    "OrphanRecovery",
    "Overview",
    "Poisoned",
    "Recovery",
    "RecoveryPass",
    "RecoveryStats",
    "delivery_ledger",
    "orphan_recovery",
    "overview",
]


def orphan_recovery(broker: dramatiq.Broker | None = None) -> OrphanRecovery:
    """Return the recovery engine of ``broker`` (the configured one by default), which must be a Redis broker."""
    broker = broker or dramatiq.get_broker()
    client = broker_client(broker, needs="orphan recovery")
    if not hasattr(broker, "heartbeat_timeout"):
        raise ConfigurationError(
            "DRAMATIQ_BROKER['BROKER']",
            f"is {type(broker).__name__}, which keeps no heartbeats; orphan recovery needs them.",
            "Use scalejobs.dispatch.RedisBroker or dramatiq.brokers.redis.RedisBroker.",
        )
    return OrphanRecovery(
        client,
        keyspace("reliability"),
        namespace=broker.namespace,  # type: ignore[attr-defined]
        heartbeat_timeout_ms=int(broker.heartbeat_timeout),
        silence_ms=int(get_settings().reliability.silence_seconds * 1000),
        history=get_settings().reliability.history,
    )


def delivery_ledger() -> DeliveryLedger:
    """Return the delivery counts on the configured Redis."""
    return DeliveryLedger(redis_client(), keyspace("reliability"), history=get_settings().reliability.history)


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """What the admin page shows: totals, the latest moves, and what waits for recovery."""

    stats: RecoveryStats
    recent: tuple[Recovery, ...]
    dead_workers: tuple[str, ...]
    heartbeat_timeout: float
    interval: float
    silence: float
    pulse: float
    recover_orphans: bool
    max_deaths: int | None
    endangered: tuple[Endangered, ...]
    poisoned: tuple[Poisoned, ...]
    poisoned_count: int

    @property
    def recovery_bound(self) -> float:
        """Return the longest a dead plain Dramatiq worker's jobs wait to go back, in seconds."""
        return self.heartbeat_timeout + self.interval

    @property
    def silent_bound(self) -> float:
        """Return the longest a dead scalejobs worker's jobs wait to go back while a leader lives, in seconds."""
        return self.silence + self.pulse


def overview(limit: int = 20) -> Overview:
    """Return everything the reliability page shows."""
    settings = get_settings().reliability
    recovery = orphan_recovery()
    ledger = delivery_ledger()
    return Overview(
        stats=recovery.stats(),
        recent=tuple(recovery.recent(limit)),
        dead_workers=tuple(recovery.dead_workers()),
        heartbeat_timeout=recovery.heartbeat_timeout_ms / 1000,
        interval=settings.recovery_interval_seconds,
        silence=settings.silence_seconds,
        pulse=settings.pulse_seconds,
        recover_orphans=settings.recover_orphans,
        max_deaths=settings.max_deaths,
        endangered=tuple(ledger.endangered(limit)),
        poisoned=tuple(ledger.poisoned(limit)),
        poisoned_count=ledger.poisoned_count(),
    )
