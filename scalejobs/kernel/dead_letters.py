"""Keep why each dead letter died: the final failure Dramatiq's stored payload does not carry.

Dramatiq moves a failed message's payload to its queue's dead letters as it
was enqueued, so the payload carries at best the traceback of the attempt
*before* the last. Whoever dead-letters a message (the Dashboard
middleware, orphan recovery's poison rule) records the final error here;
the dashboard's dead-letter pages read it back.

Key, under ``<prefix>:dashboard`` (where the records have always lived):
``failure:<redis id>``, JSON ``{error, traceback, failed_at, worker}``,
expiring with the dead letter (Dramatiq's ``dead_message_ttl``).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import dramatiq
import redis

from ..keys import KeySpace

# Dramatiq's RedisBroker default for dead_message_ttl, in ms.
DEAD_MESSAGE_TTL_MS = 7 * 86400 * 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """Why a message was dead-lettered, as the worker saw it."""

    error: str
    traceback: str
    failed_at: float
    worker: str

    @classmethod
    def of(cls, exception: BaseException | None, *, failed_at: float, worker: str) -> Failure:
        """Describe ``exception`` (``None`` when a middleware failed the message without one)."""
        if exception is None:
            return cls(error="dead-lettered without an exception", traceback="", failed_at=failed_at, worker=worker)
        error = traceback.format_exception_only(exception)[-1].strip()
        text = "".join(traceback.format_exception(exception, limit=30))
        return cls(error=error, traceback=text, failed_at=failed_at, worker=worker)


class DeadLetterFailures:
    """The final failure of each dead letter, by redis message id."""

    def __init__(self, client: redis.Redis, space: KeySpace) -> None:
        self.client = client
        self.space = space

    def key(self, redis_id: str) -> str:
        """Return the key holding the failure of dead letter ``redis_id``."""
        return self.space("failure", redis_id)

    def record(self, redis_id: str, failure: Failure, *, ttl_ms: int) -> None:
        """Keep why ``redis_id`` was dead-lettered, for ``ttl_ms``: as long as Dramatiq keeps the letter."""
        record = {"error": failure.error, "traceback": failure.traceback, "failed_at": failure.failed_at, "worker": failure.worker}
        self.client.set(self.key(redis_id), json.dumps(record), px=ttl_ms)

    def forget(self, redis_ids: Sequence[str]) -> None:
        """Delete the failures of the given dead letters."""
        if redis_ids:
            self.client.delete(*(self.key(redis_id) for redis_id in redis_ids))

    @staticmethod
    def parse(raw: bytes | str | None) -> Failure | None:
        """Return the failure stored as ``raw``, or ``None`` when there is none or it is unreadable."""
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            failed_at = data["failed_at"]
            if isinstance(failed_at, bool) or not isinstance(failed_at, (int, float)) or not 0 <= failed_at <= 10**11:
                failed_at = 0.0
            return Failure(error=str(data["error"]), traceback=str(data["traceback"]), failed_at=failed_at, worker=str(data["worker"]))
        except (ValueError, KeyError, TypeError):
            return None


def dead_letter_failures(broker: dramatiq.Broker) -> DeadLetterFailures:
    """Return the failure records of ``broker``'s dead letters, kept in its Redis."""
    # Here, not at the top: ``store`` reads the settings, and values modules import this one.
    from ..store import broker_client, keyspace

    return DeadLetterFailures(broker_client(broker, needs="the dead-letter store"), keyspace("dashboard"))


def dead_message_ttl_ms(broker: dramatiq.Broker) -> int:
    """Return how long ``broker`` keeps a dead letter, in ms."""
    return int(getattr(broker, "dead_message_ttl", DEAD_MESSAGE_TTL_MS))
