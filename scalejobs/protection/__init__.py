"""ECS task scale-in protection, held exactly while jobs run, and the graceful drain.

``scalejobs.middleware.ECSProtection`` adapts Dramatiq's hooks to the engine
(``engine.TaskProtection``), which keeps the task's shared record in Redis
(``ledger.TaskLedger``) and reaches ECS through the agent endpoint
(``agent``) or boto3 (``ecs_api``); ``scalejobs.testing.ecs_agent`` is a local ECS agent for
tests and the demo; ``views`` is the "Protected tasks" admin page.
"""

from __future__ import annotations

from .agent import read_task_metadata
from .ledger import TaskView

__all__ = ["protected_tasks", "read_task_metadata"]


def protected_tasks() -> list[TaskView]:
    """Return every ECS task running workers, with its protection and jobs, as the shared ledger holds them now."""
    from .runtime import ledger

    return ledger().tasks()
