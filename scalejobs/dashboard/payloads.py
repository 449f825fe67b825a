"""Read and rewrite the JSON payloads Dramatiq stores for each message.

Dramatiq's ``JSONEncoder`` writes compact JSON with ``queue_name``,
``actor_name``, ``args``, ``kwargs``, ``options``, ``message_id`` and
``message_timestamp`` (ms). Rewriting keeps every field it does not know.
"""

from __future__ import annotations

import json
from typing import Any

from .values import QueuedMessage

# Stamped by the Dashboard middleware at every enqueue (a delayed message moving
# to its ready queue is enqueued again), so latency counts time spent ready.
ENQUEUED_AT = "scalejobs_enqueued_at"


def parse(redis_id: str, raw: bytes | str | None, queue: str) -> QueuedMessage | None:
    """Return the message stored as ``raw``, or ``None`` when it is gone or unreadable."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    found = data.get("options")
    options: dict[str, Any] = found if isinstance(found, dict) else {}
    created = _number(data.get("message_timestamp")) or 0
    eta = _number(options.get("eta"))
    args = data.get("args")
    kwargs = data.get("kwargs")
    return QueuedMessage(
        redis_id=redis_id,
        message_id=str(data.get("message_id", "")),
        queue=queue,
        actor=str(data.get("actor_name", "?")),
        args=args if isinstance(args, list) else [],
        kwargs=kwargs if isinstance(kwargs, dict) else {},
        created_at=created / 1000,
        enqueued_at=(_number(options.get(ENQUEUED_AT)) or created) / 1000,
        eta=None if eta is None else eta / 1000,
        retries=int(_number(options.get("retries")) or 0),
        traceback=str(options.get("traceback") or ""),
        options=options,
    )


def ready_again(raw: bytes | str, *, queue: str, redis_id: str, now_ms: int) -> str:
    """Return ``raw`` rewritten as a ready message of ``queue`` under ``redis_id``."""
    data: dict[str, Any] = json.loads(raw)
    options = dict(data.get("options") or {})
    options.pop("eta", None)
    options["redis_message_id"] = redis_id
    options[ENQUEUED_AT] = now_ms
    data["options"] = options
    data["queue_name"] = queue
    return json.dumps(data, separators=(",", ":"))


def text(value: bytes | str) -> str:
    """Return a Redis reply as text (the broker's client answers bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value
