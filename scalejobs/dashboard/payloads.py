"""Read and rewrite the JSON payloads Dramatiq stores for each message.

Dramatiq's ``JSONEncoder`` writes compact JSON with ``queue_name``,
``actor_name``, ``args``, ``kwargs``, ``options``, ``message_id`` and
``message_timestamp`` (ms). Rewriting keeps every field it does not know.
"""

from __future__ import annotations

import json
from typing import Any

from ..kernel.replies import text
from .values import QueuedMessage

# Stamped by the Dashboard middleware at every enqueue (a delayed message moving
# to its ready queue is enqueued again), so latency counts time spent ready.
ENQUEUED_AT = "scalejobs_enqueued_at"
# Largest time (ms) or count read from a payload: about the year 5000.
LARGEST_NUMBER = 10**14


def parse(redis_id: str, raw: bytes | str | None, queue: str) -> QueuedMessage | None:
    """Return the message stored as ``raw``, or ``None`` when it is gone.

    A payload that is not a JSON object comes back as a message whose
    ``problem`` says so, so pages can list it and actions delete it.
    """
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError as error:
        return corrupt(redis_id, queue, f"undecodable: not JSON ({error})")
    if not isinstance(data, dict):
        return corrupt(redis_id, queue, f"undecodable: a JSON {type(data).__name__}, not an object")
    found = data.get("options")
    options: dict[str, Any] = found if isinstance(found, dict) else {}
    created = _number(data.get("message_timestamp")) or 0
    eta = _number(options.get("eta"))
    args = data.get("args")
    kwargs = data.get("kwargs")
    return QueuedMessage(
        redis_id=redis_id,
        message_id=str(data.get("message_id", ""))[:200],
        queue=queue,
        actor=str(data.get("actor_name", "?"))[:200],
        args=args if isinstance(args, list) else [],
        kwargs=kwargs if isinstance(kwargs, dict) else {},
        created_at=created / 1000,
        enqueued_at=(_number(options.get(ENQUEUED_AT)) or created) / 1000,
        eta=None if eta is None else eta / 1000,
        retries=int(_number(options.get("retries")) or 0),
        traceback=str(options.get("traceback") or ""),
        options=options,
    )


def corrupt(redis_id: str, queue: str, problem: str) -> QueuedMessage:
    """Return the stand-in of an entry whose payload is missing or unreadable."""
    return QueuedMessage(
        redis_id=redis_id,
        message_id="",
        queue=queue,
        actor="(undecodable)",
        args=[],
        kwargs={},
        created_at=0.0,
        enqueued_at=0.0,
        eta=None,
        retries=0,
        traceback="",
        problem=problem,
    )


def ready_again(raw: bytes | str, *, queue: str, redis_id: str, now_ms: int) -> str:
    """Return ``raw`` rewritten as a ready message of ``queue`` under ``redis_id``."""
    data: dict[str, Any] = json.loads(raw)
    found = data.get("options")
    options = dict(found) if isinstance(found, dict) else {}
    options.pop("eta", None)
    options["redis_message_id"] = redis_id
    options[ENQUEUED_AT] = now_ms
    data["options"] = options
    data["queue_name"] = queue
    return json.dumps(data, separators=(",", ":"))




def _number(value: Any) -> float | None:
    # Bounded, so a hostile payload's -1e20 or 10**400 cannot overflow a date on the page.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= LARGEST_NUMBER:
        return None
    return value
