"""The protection slice declares itself: ECS scale-in protection settings, checks, middleware and page."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import POSITIVE_INT, SECONDS, SECONDS_OR_ZERO, integer, number, one_of, or_none, setting


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionSettings:
    """When and how workers hold ECS scale-in protection, and how they drain on SIGTERM."""

    enabled: bool | str = setting(
        "auto",
        'True, False, or "auto": on when the transport\'s ECS variable is set ($ECS_AGENT_URI for "agent").',
        one_of('True, False or "auto"', True, False, "auto"),
    )
    transport: str = setting(
        "agent",
        '"agent" (the ECS agent endpoint, stdlib HTTP) or "boto3" (the ECS API; pip install \'scalejobs[aws]\').',
        one_of('"agent" or "boto3"', "agent", "boto3"),
    )
    expires_minutes: int = setting(
        60,
        "Minutes of protection asked for at each enable or renewal (ECS allows 1 to 2880).",
        integer("an int from 1 to 2880", lambda value, given: 1 <= value <= 2880),
    )
    renew_before_seconds: float = setting(
        1800.0,
        "Renew once this little protection is left; below EXPIRES_MINUTES * 60.",
        number("seconds below EXPIRES_MINUTES * 60", lambda value, given: 0 < value < given["EXPIRES_MINUTES"] * 60),
    )
    idle_grace_seconds: float = setting(
        30.0, "Keep protection this long after the last job; a job inside the grace saves two calls.", SECONDS_OR_ZERO
    )
    shutdown_budget_seconds: float | None = setting(
        25.0,
        "On SIGTERM, how long running jobs may finish before they are handed back; keep below stopTimeout.",
        or_none(SECONDS_OR_ZERO, "seconds >= 0, or None"),
    )
    stuck_after_seconds: float = setting(
        300.0, "A job this long past its actor's time limit stops holding protection and is reported.", SECONDS_OR_ZERO
    )
    process_timeout_seconds: float = setting(
        15.0, "A worker process silent this long is presumed dead and its claims are swept.", SECONDS
    )
    tick_seconds: float = setting(
        2.0,
        "How often each worker process publishes its jobs and checks the task's protection.",
        number("at most a third of PROCESS_TIMEOUT_SECONDS", lambda value, given: 0 < value <= given["PROCESS_TIMEOUT_SECONDS"] / 3),
    )
    connect_timeout_seconds: float = setting(1.0, "Connect timeout of one ECS call; a job's start waits at most both timeouts.", SECONDS)
    read_timeout_seconds: float = setting(3.0, "Read timeout of one ECS call.", SECONDS)
    backoff_seconds: float = setting(
        1.0, "After a failed call, retry within a random delay up to BACKOFF_SECONDS * 2**n, capped.", SECONDS
    )
    max_backoff_seconds: float = setting(
        60.0,
        "Longest of those retry delays, in seconds.",
        number("seconds >= BACKOFF_SECONDS", lambda value, given: value >= given["BACKOFF_SECONDS"]),
    )
    recheck_seconds: float = setting(
        900.0, "After TASK_NOT_VALID, AccessDeniedException or repeated unknown answers, try again this much later.", SECONDS
    )
    history: int = setting(50, "Protection changes kept per task for the admin page.", POSITIVE_INT)


SLICE = Slice(
    name="protection",
    settings=ProtectionSettings,
    checks="scalejobs.protection.checks.check_protection",
    middleware=("scalejobs.protection.middleware.ECSProtection",),
    pages="scalejobs.protection.views",
)
