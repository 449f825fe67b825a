"""Build this worker process's ``TaskProtection`` from ``SCALEJOBS`` and the environment.

The only place that reads the ECS environment variables: ``ECS_AGENT_URI``
(the agent transport) and ``ECS_CONTAINER_METADATA_URI_V4`` (the task ARN
and cluster, needed by the boto3 transport and used by both to key the
task's shared record).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping

from ..conf import get_settings
from ..store import keyspace, redis_client
from .agent import AgentTransport, endpoint_identity, read_task_metadata
from .engine import Policy, TaskProtection
from .ledger import TaskLedger
from .slice import ProtectionSettings
from .transport import TaskIdentity, Transport

logger = logging.getLogger("scalejobs.protection")

AGENT_VARIABLE = "ECS_AGENT_URI"
METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"


def is_enabled(settings: ProtectionSettings, environ: Mapping[str, str]) -> bool:
    """Tell whether protection is on: as set, or (``"auto"``) when the transport's variable is present."""
    if settings.enabled != "auto":
        return bool(settings.enabled)
    variable = AGENT_VARIABLE if settings.transport == "agent" else METADATA_VARIABLE
    return bool(environ.get(variable))


def policy_of(settings: ProtectionSettings) -> Policy:
    """Return the engine's policy for ``settings``."""
    return Policy(
        expires_minutes=settings.expires_minutes,
        renew_before=settings.renew_before_seconds,
        idle_grace=settings.idle_grace_seconds,
        tick=settings.tick_seconds,
        process_timeout=settings.process_timeout_seconds,
        stuck_after=settings.stuck_after_seconds,
        backoff_base=settings.backoff_seconds,
        backoff_max=settings.max_backoff_seconds,
        recheck_after=settings.recheck_seconds,
        call_timeout=settings.connect_timeout_seconds + settings.read_timeout_seconds,
    )


def ledger() -> TaskLedger:
    """Return the ledger on the shared Redis, as the admin and the workers read it."""
    return TaskLedger(redis_client(), keyspace("protection"), history_length=get_settings().protection.history)


def identifier(settings: ProtectionSettings, environ: Mapping[str, str]) -> Callable[[], TaskIdentity]:
    """Return how to find this task: task metadata when available, else the agent endpoint."""
    metadata = environ.get(METADATA_VARIABLE)
    agent = environ.get(AGENT_VARIABLE)
    timeouts = {"connect_timeout": settings.connect_timeout_seconds, "read_timeout": settings.read_timeout_seconds}

    def identify() -> TaskIdentity:
        if metadata:
            return read_task_metadata(metadata, **timeouts)
        if agent and settings.transport == "agent":
            return endpoint_identity(agent)
        raise OSError(f"neither {METADATA_VARIABLE} nor {AGENT_VARIABLE} is set")

    return identify


def transport_for(settings: ProtectionSettings, environ: Mapping[str, str], identify: Callable[[], TaskIdentity]) -> Transport:
    """Return the configured transport; the boto3 one reads the task metadata now."""
    if settings.transport == "boto3":
        from .ecs_api import ECSAPITransport

        return ECSAPITransport(
            identify(), connect_timeout=settings.connect_timeout_seconds, read_timeout=settings.read_timeout_seconds
        )
    return AgentTransport(
        environ[AGENT_VARIABLE], connect_timeout=settings.connect_timeout_seconds, read_timeout=settings.read_timeout_seconds
    )


def build(environ: Mapping[str, str] | None = None) -> TaskProtection | None:
    """Return an engine for this worker process, or None when protection is off."""
    environ = os.environ if environ is None else environ
    settings = get_settings().protection
    if not is_enabled(settings, environ):
        logger.debug("ECS protection is off: %s is not set.", AGENT_VARIABLE if settings.transport == "agent" else METADATA_VARIABLE)
        return None
    identify = identifier(settings, environ)
    try:
        transport = transport_for(settings, environ, identify)
    except (KeyError, OSError, ValueError) as error:
        logger.error("ECS protection cannot start (%s); jobs run unprotected.", error)
        return None
    return TaskProtection(ledger=ledger(), transport=transport, identify=identify, policy=policy_of(settings))
