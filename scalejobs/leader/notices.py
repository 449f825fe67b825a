"""Wake followers at once when the leader steps down, over Redis pub/sub.

A released lease is announced on a channel; a follower waiting for its next
bid listens there, so a clean shutdown hands over in about a second instead
of at the next check. Without the channel (Redis away) waits fall back to
plain sleeps and the subscription is tried again later.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis

# Longest a wait blocks before it notices a stop request.
POLL_SECONDS = 0.2
# After a failed subscription the next attempt comes this many seconds later.
RETRY_SECONDS = 1.0


class ReleaseNotices:
    """Wait on the channel where a stepping-down leader says so."""

    def __init__(self, client: Any, channel: str) -> None:
        self.client = client
        self.channel = channel
        self.pubsub: Any = None
        self._retry_at = 0.0

    def wait(self, seconds: float, stopping: threading.Event, *, wake_on_notice: bool) -> None:
        """Sleep ``seconds``, less if asked to stop or, when ``wake_on_notice``, on a notice."""
        deadline = time.monotonic() + seconds
        while not stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            step = min(remaining, POLL_SECONDS)
            if not self._listening():
                stopping.wait(step)
                continue
            try:
                notice = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=step)
            except (redis.RedisError, OSError):
                self.close()
                continue
            if notice is not None and wake_on_notice:
                return

    def _listening(self) -> bool:
        if self.pubsub is None:
            if time.monotonic() < self._retry_at:
                return False
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
            except (redis.RedisError, OSError):
                self._retry_at = time.monotonic() + RETRY_SECONDS
                return False
            self.pubsub = pubsub
        return True

    def close(self) -> None:
        """Drop the subscription; the next wait subscribes again."""
        if self.pubsub is not None:
            try:
                self.pubsub.close()
            except (redis.RedisError, OSError):
                pass
            self.pubsub = None
