"""Read each job's options into a policy once: per actor, or per Django task.

Both the unique and the throttle middleware turn a job's options into a
policy and look it up for every message. Jobs declared with
``@scalejobs.job`` are read when declared, so a bad value fails at import;
the one actor that runs every Django task (``scalejobs.tasks``) has an
``options_for(message)`` instead, and its policies are read per task path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.errors import ActorNotFound

T = TypeVar("T")


class JobPolicies(Generic[T]):
    """Cache ``read(name, options)`` per actor name, or per task for a task-running actor."""

    def __init__(self, read: Callable[[str, Mapping[str, Any]], T], *, none: T) -> None:
        self._read = read
        self._none = none
        self._by_actor: dict[str, T] = {}
        self._by_task: dict[str, T] = {}

    def declare(self, actor: dramatiq.Actor[..., Any]) -> None:
        """Read ``actor``'s options now (raising on a bad value), unless they vary by task."""
        if not hasattr(actor, "options_for"):
            self._by_actor[actor.actor_name] = self._read(actor.actor_name, actor.options)

    def governs_none(self, actor: dramatiq.Actor[..., Any]) -> bool:
        """Tell whether every message of ``actor`` gets the ``none`` policy (a task-running actor's may not)."""
        if hasattr(actor, "options_for"):
            return False
        if actor.actor_name not in self._by_actor:
            self._by_actor[actor.actor_name] = self._read(actor.actor_name, actor.options)
        return self._by_actor[actor.actor_name] == self._none

    def of(self, broker: dramatiq.Broker, message: dramatiq.Message[Any] | MessageProxy) -> T:
        """Return the policy that governs ``message``; ``none`` for an actor this process lacks."""
        name = message.actor_name
        if name in self._by_actor:
            return self._by_actor[name]
        try:
            actor = broker.get_actor(name)
        except ActorNotFound:
            return self._none
        options_for = getattr(actor, "options_for", None)
        if options_for is None:
            self._by_actor[name] = self._read(name, actor.options)
            return self._by_actor[name]
        task = f"{name}:{actor.task_path(message) if hasattr(actor, 'task_path') else ''}"
        if task not in self._by_task:
            self._by_task[task] = self._read(task, options_for(message))
        return self._by_task[task]
