"""Send a message now, or when the surrounding transaction commits.

A job enqueued inside ``transaction.atomic()`` usually reads rows that the
transaction is writing; sending it before the commit lets a fast worker see
nothing. So by default the message is built (and its arguments checked) at
the call, and handed to the broker in ``transaction.on_commit``: sent after
a commit, dropped on a rollback.

A unique job whose lock another message holds is dropped and ``None``
returned. Inside a transaction the send, and so the deciding take of the
lock, happens at commit; the call itself only looks (a middleware's
``check_enqueue``) so that a duplicate already visible returns ``None`` at
once, and a duplicate that appears before the commit is dropped then.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

import dramatiq
import redis
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from ..conf import get_settings
from ..errors import BrokerUnavailable, DuplicateJob
from ..kernel.hooks import enqueue_hooks
from .payload import check_arguments

Delay = int | float | dt.timedelta

# The queue names Dramatiq's actors accept.
_QUEUE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9._-]*")


def enqueue(
    actor: dramatiq.Actor[..., Any],
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    delay: Delay | None = None,
    on_commit: bool | str | None = None,
    options: Mapping[str, Any] | None = None,
    queue_name: str | None = None,
) -> dramatiq.Message[Any] | None:
    """Check, build and send one message of ``actor``; return it.

    ``delay`` is in seconds (or a ``timedelta``). ``on_commit`` is ``True`` to
    wait for the default database's commit, a database alias to wait for that
    one, ``False`` to send at once, or ``None`` for the job's (then the
    ``SCALEJOBS["ON_COMMIT"]``) default. ``queue_name`` sends to another
    queue than the actor's, declaring it on this process's broker.
    """
    kwargs = dict(kwargs or {})
    check_arguments(args, kwargs)
    message = actor.message_with_options(args=tuple(args), kwargs=kwargs, **(options or {}))
    if queue_name is not None and queue_name != message.queue_name:
        if not _QUEUE_NAME.fullmatch(queue_name):
            raise ValueError(f"queue_name: {queue_name!r} is not a valid queue name (letters, digits, '.', '_', '-')")
        actor.broker.declare_queue(queue_name)
        message = message.copy(queue_name=queue_name)
    delay_ms = _milliseconds(delay)
    using = _commit_alias(actor, on_commit)
    if using is not None:
        connection = transaction.get_connection(using)
        if connection.in_atomic_block:
            if _duplicate_now(actor.broker, message):
                return None
            transaction.on_commit(lambda: _send(actor.broker, message, delay_ms), using=using)
            return message
    return _send(actor.broker, message, delay_ms)


def _send(broker: dramatiq.Broker, message: dramatiq.Message[Any], delay_ms: int | None) -> dramatiq.Message[Any] | None:
    try:
        return broker.enqueue(message, delay=delay_ms)
    except DuplicateJob:
        # The Unique middleware has logged which message holds the lock.
        return None
    except (redis.ConnectionError, redis.TimeoutError) as error:
        # The client's socket timeouts bound the wait (docs/reliability.md); say what was lost.
        raise BrokerUnavailable(f"{message.actor_name}: not sent, Redis is unreachable: {error}") from error


def _duplicate_now(broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> bool:
    for middleware in enqueue_hooks(broker.middleware).checks:
        try:
            middleware.check_enqueue(broker, message)
        except DuplicateJob:
            return True
    return False


def delay_until(when: dt.datetime) -> float:
    """Return the seconds from now until the aware datetime ``when`` (never negative)."""
    if not isinstance(when, dt.datetime):
        raise TypeError(f"when: expected an aware datetime, got {type(when).__name__} {when!r}")
    if timezone.is_naive(when):
        raise ValueError(f"when: {when!r} is a naive datetime; pass an aware one (e.g. timezone.now() + ...)")
    return max(0.0, (when - timezone.now()).total_seconds())


def _milliseconds(delay: Delay | None) -> int | None:
    if delay is None:
        return None
    if isinstance(delay, dt.timedelta):
        seconds = delay.total_seconds()
    elif isinstance(delay, (int, float)) and not isinstance(delay, bool):
        seconds = float(delay)
    else:
        raise TypeError(f"delay: expected seconds or a timedelta, got {delay!r}")
    if not math.isfinite(seconds):
        raise ValueError(f"delay: {delay!r} is not a finite number of seconds")
    if seconds < 0:
        raise ValueError(f"delay: {delay!r} is negative")
    return int(seconds * 1000) or None


def _commit_alias(actor: dramatiq.Actor[..., Any], on_commit: bool | str | None) -> str | None:
    if on_commit is None:
        on_commit = getattr(actor, "on_commit", None)
    if on_commit is None:
        on_commit = get_settings().on_commit
    if on_commit is True:
        return DEFAULT_DB_ALIAS
    return on_commit or None
