"""Wait for a queue's wake-up token on a connection of one's own.

A blocking pop holds its connection for as long as it blocks, so each
``Waiter`` owns one connection outside the broker's pool: a blocked
consumer never starves the threads that enqueue, ack and heartbeat.

Redis expires blocked pops on its own clock tick (100 ms at the default
``hz``), too coarsely to release a delayed message on time. So the pop is
sent once with the long poll interval as its Redis timeout, and the caller
waits on the socket with its own, precise deadline; when that deadline
comes first the pop stays outstanding, and the next ``wait`` picks it up.
"""

from __future__ import annotations

import enum
from typing import Any

import redis


class Wakeup(enum.Enum):
    """How a ``Waiter.wait`` ended."""

    #: A producer, or a consumer that left messages behind, left a token.
    TOKEN = "token"
    #: The pop timed out in Redis: time to poll the queue anyway.
    POLL = "poll"
    #: The caller's deadline came first; the pop is still outstanding.
    PENDING = "pending"


class Waiter:
    """Pop tokens from one wake-up list with at most one pop outstanding."""

    def __init__(self, connection: Any, key: str, *, block_seconds: float) -> None:
        self._connection = connection
        self._key = key
        self._block = f"{block_seconds:.3f}"
        self._pending = False

    @property
    def pending(self) -> bool:
        """Whether a pop was sent and its reply not yet read."""
        return self._pending

    def wait(self, timeout: float) -> Wakeup:
        """Block up to ``timeout`` seconds for a token, sending a pop unless one is outstanding."""
        try:
            if not self._pending:
                self._connection.send_command("BLPOP", self._key, self._block, check_health=False)
                self._pending = True
            if not self._connection.can_read(timeout=max(timeout, 0.0)):
                return Wakeup.PENDING
            reply = self._connection.read_response()
        except redis.RedisError:
            # redis-py has dropped the connection, and the pop with it.
            self._pending = False
            raise
        self._pending = False
        return Wakeup.POLL if reply is None else Wakeup.TOKEN

    def close(self) -> bool:
        """Drop the connection; return whether it had popped a token nobody used."""
        popped = False
        try:
            if self._pending and self._connection.can_read(timeout=0):
                popped = self._connection.read_response() is not None
        except redis.RedisError:
            popped = False
        finally:
            self._pending = False
            self._connection.disconnect()
        return popped
