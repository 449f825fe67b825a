"""Tell why a fetched payload is no message a worker can run, without quoting it.

A queue can hold anything a client wrote: random bytes, a JSON list, a
message without its fields, ``options`` that are not an object, or a
message naming another queue (its ack would go to that queue's consumer).
The consumer dead-letters such a payload at once, its bytes capped at
``BURIED_BYTES``, with the reason these functions give; a reason never
quotes the payload, which may hold anything.
"""

from __future__ import annotations

import json
from typing import Any

from dramatiq.errors import DecodeError
from dramatiq.message import Message

#: The fields every stored message has.
FIELDS = ("queue_name", "actor_name", "args", "kwargs", "options")
#: Bytes of an unreadable payload kept in the dead letters: enough to see what it was.
BURIED_BYTES = 64 * 1024


def undecodable(data: bytes, error: DecodeError) -> str:
    """Return why ``data`` is no message, without quoting it: it may hold anything."""
    try:
        value = json.loads(data)
    except ValueError:
        return "not JSON"
    if not isinstance(value, dict):
        return f"a JSON {type(value).__name__}, not an object"
    missing = [name for name in FIELDS if name not in value]
    if missing:
        return f"a JSON object without {', '.join(missing)}"
    return f"not a message: {type(error.__cause__).__name__}"


def malformed(message: Message[Any], queue_name: str) -> str:
    """Return why Dramatiq's worker could not run the decoded ``message`` of ``queue_name``, or ``""``."""
    for name, kind in (("queue_name", str), ("actor_name", str), ("kwargs", dict), ("options", dict), ("message_id", str)):
        if not isinstance(getattr(message, name), kind):
            return f"its {name} is {type(getattr(message, name)).__name__}, not {kind.__name__}"
    if isinstance(message.message_timestamp, bool) or not isinstance(message.message_timestamp, int):
        return f"its message_timestamp is {type(message.message_timestamp).__name__}, not int"
    if message.queue_name != queue_name:
        # Its ack would go to the other queue's consumer and leave it in this one's ack set.
        return f"it names queue {message.queue_name[:100]!r} but sits in {queue_name!r}"
    return ""
