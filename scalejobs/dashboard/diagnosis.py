"""Name the key behind a ``WRONGTYPE`` error: a key of the broker's namespace holding the wrong type.

Something other than Dramatiq wrote under its namespace (a script, another
app sharing the prefix); the pages then fail on a command Redis refuses.
``wrong_type_key`` walks the namespace once, at most ``SCAN_LIMIT`` keys,
and names the first key whose type is not the one Dramatiq gives it.
"""

from __future__ import annotations

import redis

from ..kernel.dramatiq_keys import DramatiqKeys

# Keys checked at most: the walk runs only after a page failed, but must stay bounded.
SCAN_LIMIT = 10_000


def wrong_type_key(client: redis.Redis, namespace: str) -> tuple[str, str, str] | None:
    """Return ``(key, its type, the expected type)`` of the first mistyped key under ``namespace``, if any."""
    prefix = f"{namespace}:"
    for seen, key in enumerate(client.scan_iter(match=f"{prefix}*", count=1000)):
        if seen >= SCAN_LIMIT:
            return None
        name = key.decode(errors="replace") if isinstance(key, bytes) else key
        wanted = DramatiqKeys.type_of(name[len(prefix) :])
        if not wanted:
            continue
        found = client.type(key)
        found = found.decode() if isinstance(found, bytes) else found
        if found not in (wanted, "none"):
            return name, found, wanted
    return None
