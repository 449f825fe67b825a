"""Tell which middleware of a broker listen to a hook, so the broker calls only those.

Dramatiq's broker calls every hook of every middleware, though most
middleware keep most hooks as ``Middleware``'s no-ops: with
``DEFAULT_STACK``, fourteen calls per signal where one or two do anything.
The answer is cached per middleware list, so a list changed at run time
(``add_middleware``, a test swapping middleware) is seen at once; a hook
assigned to a middleware instance after the broker first emitted it is
not, until the list changes.

For the signals of one message (``MESSAGE_SIGNALS``), a middleware may also
say once per actor that it has nothing to do for that actor's messages, by
defining ``ignores(actor) -> bool``: a job without a unique lock or a
throttle then costs the ``Unique`` and ``Throttle`` hooks nothing. The
answer is cached per actor object, so a redeclared actor is asked again.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import dramatiq

#: Signals whose first argument is the message they are about.
MESSAGE_SIGNALS = frozenset({"enqueue", "delay_message", "process_message", "skip_message", "ack", "nack"})


def listeners(middleware: Sequence[dramatiq.Middleware], hook: str) -> tuple[dramatiq.Middleware, ...]:
    """Return the middleware, in order, whose ``hook`` is not ``Middleware``'s no-op."""
    stack = tuple(middleware)
    try:
        return _listeners(stack, hook)
    except TypeError:  # an unhashable middleware: answer without the cache
        return _listeners.__wrapped__(stack, hook)


@functools.lru_cache(maxsize=256)
def _listeners(stack: tuple[dramatiq.Middleware, ...], hook: str) -> tuple[dramatiq.Middleware, ...]:
    base = getattr(dramatiq.Middleware, hook, None)
    if base is None:
        # Not a hook Dramatiq declares: call it on every middleware, as Dramatiq does.
        return stack
    return tuple(middleware for middleware in stack if hook in vars(middleware) or getattr(type(middleware), hook, base) is not base)


def listeners_for_actor(middleware: Sequence[dramatiq.Middleware], hook: str, actor: dramatiq.Actor[..., Any] | None) -> tuple[dramatiq.Middleware, ...]:
    """Return ``listeners(middleware, hook)`` less those that ``ignore`` ``actor`` (``None``: an actor this process lacks)."""
    stack = tuple(middleware)
    try:
        return _listeners_for_actor(stack, hook, actor)
    except TypeError:  # an unhashable middleware: answer without the cache
        return _listeners_for_actor.__wrapped__(stack, hook, actor)


@functools.lru_cache(maxsize=4096)
def _listeners_for_actor(stack: tuple[dramatiq.Middleware, ...], hook: str, actor: dramatiq.Actor[..., Any] | None) -> tuple[dramatiq.Middleware, ...]:
    found = listeners(stack, hook)
    if actor is None:
        return found
    return tuple(middleware for middleware in found if not _ignores(middleware, actor))


def _ignores(middleware: dramatiq.Middleware, actor: dramatiq.Actor[..., Any]) -> bool:
    ignores = getattr(middleware, "ignores", None)
    return ignores is not None and bool(ignores(actor))
