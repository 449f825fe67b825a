"""What a protection call returns, whichever way it reaches ECS.

Both transports (the ECS agent endpoint in ``agent.py`` and the ECS API in
``ecs_api.py``) turn every answer into an ``Outcome``; the engine judges
outcomes in one place, so "HTTP 200 with a ``failure``" and "a ``failures``
entry in a boto3 response" are the same thing to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

OutcomeKind = Literal["protection", "failure", "error", "unreachable"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The answer to one protection call.

    ``protection``: ECS reports the task's protection (``enabled``,
    ``expires_at``). ``failure``: ECS refused for this task (``code`` is the
    reason, e.g. ``TASK_NOT_VALID``). ``error``: the call was rejected
    (``code`` is the error code, e.g. ``ThrottlingException``).
    ``unreachable``: no usable answer (timeout, refused connection,
    unreadable body); the call may or may not have taken effect.
    """

    kind: OutcomeKind
    enabled: bool | None = None
    # Seconds since the epoch; None when ECS sent no ExpirationDate.
    expires_at: float | None = None
    task_arn: str | None = None
    code: str = ""
    message: str = ""
    status: int | None = None

    def describe(self) -> str:
        """Return a one-line summary for logs and the admin."""
        if self.kind == "protection":
            return "protected" if self.enabled else "not protected"
        status = f"HTTP {self.status} " if self.status is not None else ""
        code = f"{self.code}: " if self.code else ""
        return f"{status}{code}{self.message}".strip() or self.kind


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskIdentity:
    """The ECS task a worker process runs in; ``task_arn`` keys its shared state."""

    task_arn: str
    cluster: str | None = None


class Transport(Protocol):
    """Set or read the scale-in protection of this process's ECS task."""

    #: Short name shown in the admin, e.g. ``"agent"``.
    name: str

    def update(self, *, enabled: bool, expires_minutes: int) -> Outcome:
        """Ask ECS to protect (for ``expires_minutes``) or unprotect the task."""
        ...

    def read(self) -> Outcome:
        """Ask ECS whether the task is protected."""
        ...


def parse_timestamp(value: object) -> float | None:
    """Return epoch seconds from an RFC 3339 string or a datetime; None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()
