"""Read a job's ``unique_*`` options, and name the identity of one of its messages.

Options are checked when the job is declared, so a wrong value fails at
import time with the option's name, not later inside a worker.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import JobOptionError

OPTIONS = frozenset({"unique_for", "unique_until", "unique_key"})
# Message option holding the lock's digest; set on the first enqueue.
MARK = "scalejobs_unique"
# Message option that, set to False, sends without the uniqueness check.
BYPASS = "unique"
UNTIL = ("success", "start")
# Longest readable identity kept for the admin; the digest is what counts.
LABEL_LENGTH = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class UniquePolicy:
    """How one job is kept unique."""

    # Seconds the lock lives, counted from the enqueue (plus any delay).
    ttl: float
    # When the lock is released: after the job succeeds, or as it starts.
    until: Literal["success", "start"]
    # The job's own identity function, called with the job's arguments.
    key: Callable[..., object] | None


def unique_policy(actor_name: str, options: Mapping[str, Any]) -> UniquePolicy | None:
    """Return the policy the ``unique_*`` options describe, or ``None`` without ``unique_for``."""
    ttl = options.get("unique_for")
    until = options.get("unique_until", "success")
    key = options.get("unique_key")
    if ttl is None:
        for name in ("unique_until", "unique_key"):
            if name in options:
                raise JobOptionError(f"{actor_name}: {name} needs unique_for, the lock's lifetime.")
        return None
    if isinstance(ttl, dt.timedelta):
        ttl = ttl.total_seconds()
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
        raise JobOptionError(
            f"{actor_name}: unique_for must be a positive number of seconds or a timedelta, got {options['unique_for']!r}."
        )
    if until not in UNTIL:
        close = difflib.get_close_matches(str(until), UNTIL, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise JobOptionError(f"{actor_name}: unique_until must be 'success' or 'start', got {until!r}.{hint}")
    if key is not None and not callable(key):
        raise JobOptionError(f"{actor_name}: unique_key must be a callable taking the job's arguments, got {key!r}.")
    return UniquePolicy(ttl=float(ttl), until=until, key=key)


def identity(
    policy: UniquePolicy,
    actor_name: str,
    queue_name: str,
    args: tuple[Any, ...] | list[Any],
    kwargs: Mapping[str, Any],
    *,
    keyed: Callable[[str], str] | None = None,
) -> tuple[str, str]:
    """Return the digest that names this job's lock, and a readable label of it.

    The default identity is actor, queue and the canonical JSON of the
    arguments; with ``unique_key`` it is the actor and the key's result, so the
    same key on two jobs never collides. With ``keyed`` (a keyed digest, for
    jobs whose arguments are encrypted) the label names the job only.
    """
    if policy.key is not None:
        label = f"{actor_name}:{policy.key(*args, **kwargs)}"
    else:
        arguments = json.dumps([list(args), kwargs], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        label = f"{actor_name}@{queue_name}:{arguments}"
    if keyed is not None:
        return keyed(label), f"{actor_name}: encrypted arguments"
    digest = hashlib.sha256(label.encode()).hexdigest()[:40]
    return digest, label[:LABEL_LENGTH]
