"""Build the worker-side parts of the slice from the settings: the delivery guard, the pulse and the recovery thread."""

from __future__ import annotations

import logging
import os
import socket
import time

import dramatiq
import redis

from ..conf import get_settings
from ..errors import ConfigurationError
from ..kernel.dead_letters import Failure, dead_letter_failures, dead_message_ttl_ms
from . import delivery_ledger, orphan_recovery
from .deliveries import DeliveryLedger
from .guard import DeliveryGuard, PoisonMessage
from .pulser import PulseThread
from .runner import RecoveryThread
from .values import Death, Poisoned, RecoveryPass

logger = logging.getLogger(__name__)


def delivery_guard(broker: dramatiq.Broker, *, resend_retries: bool) -> DeliveryGuard:
    """Return this worker process's guard; it counts deliveries only on a Redis broker, with ``MAX_DEATHS`` set."""
    settings = get_settings().reliability
    broker_id = getattr(broker, "broker_id", "")
    ledger = delivery_ledger() if settings.max_deaths is not None and broker_id else None
    return DeliveryGuard(ledger, broker_id=broker_id, max_deaths=settings.max_deaths, resend_retries=resend_retries)


def recovery_thread(broker: dramatiq.Broker) -> RecoveryThread | None:
    """Return this worker process's recovery thread, or ``None`` when recovery is off or impossible."""
    from ..leader import process_election

    settings = get_settings().reliability
    if not settings.recover_orphans:
        return None
    try:
        recovery = orphan_recovery(broker)
    except ConfigurationError as error:
        logger.info("scalejobs: orphan recovery is off: %s", error)
        return None
    ledger = delivery_ledger() if settings.max_deaths is not None else None
    return RecoveryThread(
        recovery,
        process_election(),
        interval=settings.recovery_interval_seconds,
        check=settings.pulse_seconds,
        queues=broker.get_declared_queues,
        free_slots=_free_slots,
        recovered=_count_in_dashboard,
        wake=getattr(broker, "wake", None),
        ledger=ledger,
        max_deaths=settings.max_deaths,
        poisoned=lambda death: _poisoned(ledger, broker, death),
    )


def pulse_thread(broker: dramatiq.Broker) -> PulseThread | None:
    """Return this worker process's pulse, or ``None`` when recovery is off or the broker is not Redis."""
    settings = get_settings().reliability
    if not settings.recover_orphans:
        return None
    try:
        recovery = orphan_recovery(broker)
    except ConfigurationError:
        return None
    return PulseThread(
        recovery.pulses,
        leave=recovery.leave,
        broker_id=broker.broker_id,  # type: ignore[attr-defined]
        interval=settings.pulse_seconds,
        queues=lambda: sorted(broker.get_declared_queues() | broker.get_declared_delay_queues()),
        stats_key=recovery.stats_key,
    )


def _free_slots(process: str) -> None:
    """Free the concurrency slots the dead worker process ``process`` held."""
    from ..throttle import free_slots_of

    if freed := free_slots_of(process):
        logger.info("scalejobs: freed the concurrency slots of %d job(s) of a dead worker process.", freed)


def _count_in_dashboard(result: RecoveryPass) -> None:
    """Add the recovered messages and their delays to the dashboard's per-minute metrics."""
    from ..dashboard import count_recovery

    for recovery in result.recoveries:
        count_recovery(at=recovery.at, messages=recovery.messages, delay=recovery.delay)


def _poisoned(ledger: DeliveryLedger | None, broker: dramatiq.Broker, death: Death) -> None:
    """Say why the recovery dead-lettered ``death``'s message, in the log, the dead letters and the ledger."""
    max_deaths = get_settings().reliability.max_deaths or 0
    error = PoisonMessage.of(death.actor, death.deaths, max_deaths)
    logger.error("scalejobs: message %s of %s: %s", death.message_id, death.actor, error)
    try:
        if ledger is not None:
            ledger.record_poisoned(Poisoned(message_id=death.message_id, actor=death.actor, queue=death.queue, deaths=death.deaths, at=time.time()))
            ledger.forget(death.message_id)
        failure = Failure.of(error, failed_at=time.time(), worker=f"{socket.gethostname()}:{os.getpid()} (orphan recovery)")
        dead_letter_failures(broker).record(death.redis_id, failure, ttl_ms=dead_message_ttl_ms(broker))
    except (redis.RedisError, ConfigurationError) as failure:
        logger.warning("scalejobs: could not record why message %s was dead-lettered: %s", death.message_id, failure)
