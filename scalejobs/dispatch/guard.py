"""Let a middleware fold its own Redis work into a message's enqueue: one round trip, not two.

A middleware's ``before_enqueue`` hands the broker an ``EnqueueGuard`` for
the message (``RedisBroker.guard_enqueue``) instead of calling Redis itself.
The broker then sends the message through the guard's script, which does
the middleware's work and the enqueue in one atomic call, and the guard
reads the reply: it raises a ``MiddlewareError`` (a veto) when the script
refused the message, which was then not sent. The unique lock is the one
guard today (``scalejobs/unique/locks.py``).

The guard's script gets the keys and arguments of the broker's own
one-message enqueue (``PushQueues.enqueue_call``) and must do exactly what
``lua/enqueue.lua`` does with them when it lets the message through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import redis
from redis.commands.core import Script


class EnqueueGuard(Protocol):
    """One message's middleware work, run in the script that enqueues it."""

    def call(self, enqueue_keys: Sequence[str], enqueue_args: Sequence[Any]) -> tuple[Script, list[Any], list[Any]]:
        """Return the ``(script, keys, args)`` that does the work and, unless it refuses, the enqueue."""
        ...

    def settle(self, reply: Any) -> None:
        """Read the script's reply; raise a ``MiddlewareError`` if the message was refused (and not sent)."""
        ...

    def failed(self, error: redis.RedisError) -> None:
        """Raise what the middleware raises when Redis failed the call (the message was not sent)."""
        ...
