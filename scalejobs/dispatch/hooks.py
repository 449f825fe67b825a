"""Tell which middleware of a broker listen to a hook, so the broker calls only those.

Dramatiq's broker calls every hook of every middleware, though most
middleware keep most hooks as ``Middleware``'s no-ops: with
``DEFAULT_STACK``, fourteen calls per signal where one or two do anything.
The answer is cached per middleware list, so a list changed at run time
(``add_middleware``, a test swapping middleware) is seen at once; a hook
assigned to a middleware instance after the broker first emitted it is
not, until the list changes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import dramatiq


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
