"""Judge the outcome of one protection call: what the task's record and logs say next.

The retry policy lives here, in one place. ``TASK_NOT_VALID`` and
``AccessDeniedException`` switch protection off for the task until a
re-check, with one ERROR naming the fix. Throttling (``ThrottlingException``,
HTTP 429), server errors (5xx, 504 ``RequestCanceled``) and unreachable
agents are retried with exponential backoff and full jitter. Any other
answer is retried the same way, at most ``UNKNOWN_RETRY_LIMIT`` times in a
row, then switched off like a refusal.

A ``failure`` other than ``TASK_NOT_VALID`` answering an enable while the
task is unprotected is a refusal: ECS is stopping the task (scale-in chose
it), as the ECS team's own example reads it. The task's record then says
``refused_at``, and the workers hand their jobs back instead of starting
them. After ``HANDBACK_LIMIT`` refusals in a row the task is presumed not to
be going away after all (every task refuses, say, ``DEPLOYMENT_BLOCKED``):
its jobs run unprotected, so work never stalls.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .state import StateChange
from .transport import Outcome

if TYPE_CHECKING:
    from .engine import Policy
    from .ledger import Decision

# Answers that mean "this task can never be protected as configured".
SWITCH_OFF_CODES = frozenset({"TASK_NOT_VALID", "AccessDeniedException"})
# Answers worth retrying for as long as they last.
RETRY_CODES = frozenset({"ThrottlingException", "RequestCanceled"})
# Consecutive unrecognised answers before protection is switched off until the re-check.
UNKNOWN_RETRY_LIMIT = 5
# Consecutive refusals during which a task's jobs are handed back rather than run unprotected.
HANDBACK_LIMIT = 3
FIXES = {
    "TASK_NOT_VALID": "run the workers as an ECS service (tasks started by RunTask cannot be protected), "
    "or set SCALEJOBS['PROTECTION']['ENABLED'] = False",
    "AccessDeniedException": "allow ecs:UpdateTaskProtection and ecs:GetTaskProtection in the task role "
    "(the task role, not the task execution role)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What one call's outcome changes: the task's state, a history entry, a log line."""

    change: StateChange
    entry: dict[str, Any]
    level: int
    message: str


def classify(outcome: Outcome, *, enable: bool, started: float) -> str:
    """Return ``"ok"``, ``"retry"``, ``"capped"`` (retry a few times) or ``"switch off"``."""
    if outcome.kind == "protection":
        expired = enable and outcome.expires_at is not None and outcome.expires_at <= started
        return "ok" if outcome.enabled == enable and not expired else "capped"
    if outcome.kind == "unreachable":
        return "retry"
    if outcome.code in SWITCH_OFF_CODES:
        return "switch off"
    if outcome.code in RETRY_CODES or outcome.status == 429 or (outcome.status or 0) >= 500:
        return "retry"
    return "capped"


def uncertain(outcome: Outcome) -> bool:
    """Tell whether a failed call may still have changed the protection."""
    return outcome.kind == "unreachable" or outcome.code == "RequestCanceled" or (outcome.status or 0) >= 500


def backoff(policy: Policy, failures: int, draw: float) -> float:
    """Return the delay before retry number ``failures``: full jitter, exponential, capped."""
    return draw * min(policy.backoff_max, policy.backoff_base * 2.0 ** (failures - 1))


def judge(
    decision: Decision, outcome: Outcome, *, policy: Policy, started: float, now: float, draw: float, task: str, process: str
) -> Verdict:
    """Return what ``outcome`` of the call ``decision.action`` means for the task."""
    action = decision.action
    result = classify(outcome, enable=action == "enable", started=started)
    last_call = {"at": started, "action": action, "result": result, "detail": outcome.describe(),
                 "seconds": round(now - started, 3), "process": process}
    change = StateChange(last_call=last_call)
    entry: dict[str, Any] = {"at": now, "process": process}
    if result == "ok" and action == "enable":
        expires = started + policy.expires_minutes * 60
        if outcome.expires_at is not None:
            expires = min(expires, outcome.expires_at)
        renewed = decision.status == "on"
        since = decision.since if renewed and decision.since else now
        change = replace(
            change, status="on", expires_at=expires, since=since, failures=0, backoff_until=None, recheck_at=None, switched_off=None, refused_at=None
        )
        event = "renewed" if renewed else "protected"
        entry.update(event=event, detail=f"protected until {clock_time(expires)}")
        what = "protection renewed" if renewed else "protected"
        return Verdict(change=change, entry=entry, level=logging.INFO, message=f"ECS task {task} {what} until {clock_time(expires)}.")
    if result == "ok":
        change = replace(
            change, status="off", expires_at=None, since=None, failures=0, backoff_until=None, recheck_at=None, switched_off=None, refused_at=None
        )
        entry.update(event="released", detail="protection released")
        return Verdict(change=change, entry=entry, level=logging.INFO, message=f"ECS task {task} protection released.")
    failures = decision.failures + 1
    if result == "switch off" or (result == "capped" and failures >= UNKNOWN_RETRY_LIMIT):
        recheck = now + policy.recheck_after
        fix = FIXES.get(outcome.code, "check that this worker can reach the ECS agent and what it answers")
        change = replace(
            change, switched_off=outcome.code or "unrecognised answers", recheck_at=recheck, backoff_until=None, failures=failures, refused_at=None
        )
        entry.update(event="switched off", detail=f"{outcome.describe()}; next try at {clock_time(recheck)}")
        message = (
            f"ECS protection is switched off for task {task} until {clock_time(recheck)}: {outcome.describe()}. "
            f"Fix: {fix}. Jobs keep running unprotected."
        )
        return Verdict(change=change, entry=entry, level=logging.ERROR, message=message)
    delay = backoff(policy, failures, draw)
    change = replace(change, failures=failures, backoff_until=now + delay)
    if uncertain(outcome) and not (action == "enable" and decision.status == "on" and decision.expires_at > now):
        change = replace(change, status="unknown")
    protected = decision.status == "on" and decision.expires_at > now
    if outcome.kind == "failure" and action == "enable" and not protected:
        return _refusal(change, entry, outcome, failures=failures, delay=delay, now=now, task=task)
    entry.update(event="failed", detail=f"{action}: {outcome.describe()}")
    message = f"ECS protection call ({action}) for task {task} failed: {outcome.describe()}; retrying in {delay:.1f} s."
    return Verdict(change=change, entry=entry, level=logging.WARNING, message=message)


def _refusal(
    change: StateChange, entry: dict[str, Any], outcome: Outcome, *, failures: int, delay: float, now: float, task: str
) -> Verdict:
    """Judge ECS refusing to protect an unprotected task: hand jobs back, unless it keeps refusing."""
    if failures <= HANDBACK_LIMIT:
        change = replace(change, refused_at=now)
        entry.update(event="refused", detail=f"{outcome.describe()}; jobs go back to their queues")
        message = (
            f"ECS refused to protect task {task}: {outcome.describe()}. The task is presumably being stopped: "
            f"its jobs go back to their queues instead of starting here; asking again in {delay:.1f} s."
        )
        return Verdict(change=change, entry=entry, level=logging.WARNING, message=message)
    change = replace(change, refused_at=None)
    entry.update(event="failed", detail=f"refused {failures} times in a row: {outcome.describe()}; jobs run unprotected")
    message = (
        f"ECS refused to protect task {task} {failures} times in a row ({outcome.describe()}); "
        f"jobs now run unprotected; asking again in {delay:.1f} s."
    )
    return Verdict(change=change, entry=entry, level=logging.ERROR, message=message)


def clock_time(moment: float) -> str:
    """Format epoch seconds as ``HH:MM:SS UTC`` for logs and history."""
    return time.strftime("%H:%M:%S", time.gmtime(moment)) + " UTC"
