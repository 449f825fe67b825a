"""Declare the enqueue hooks scalejobs adds to Dramatiq's middleware, and find who implements them.

Dramatiq's ``Middleware`` declares every hook it calls as a no-op. scalejobs
calls three more, which a middleware may implement:

- ``check_enqueue(broker, message)``: raise the veto a send of ``message``
  would meet now, taking nothing (``perform_later`` inside a transaction
  drops a duplicate already visible, and the tasks backend names the holder);
- ``check_enqueue_many(broker, messages)``: the same for a batch, in one
  round trip, returning each message's veto or ``None`` (``perform_bulk``);
- ``before_enqueue_many(broker, messages, delay)``: ``before_enqueue`` for a
  whole batch, returning each message's veto or ``None`` (the dispatch
  broker's ``enqueue_many``).

``enqueue_hooks`` answers once per middleware list which middleware
implement which, typed by the protocols below.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import dramatiq
from dramatiq.middleware import MiddlewareError

from ..errors import EnqueueVeto

T = TypeVar("T")


@runtime_checkable
class ChecksEnqueue(Protocol):
    """A middleware that can tell whether a send would be vetoed, without taking anything."""

    def check_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> None:
        """Raise the veto (an ``EnqueueVeto``) a send of ``message`` would meet now."""
        ...


@runtime_checkable
class ChecksEnqueueMany(Protocol):
    """A middleware that can tell, in one call, which messages of a batch a send would veto."""

    def check_enqueue_many(self, broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]]) -> list[EnqueueVeto | None]:
        """Return, per message, the veto a send of it would meet now, or ``None``."""
        ...


@runtime_checkable
class EnqueuesMany(Protocol):
    """A middleware whose ``before_enqueue`` work for a batch is done in one call."""

    def before_enqueue_many(
        self, broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]], delay: int | None
    ) -> Sequence[MiddlewareError | None]:
        """Do ``before_enqueue``'s work for every message; return, per message, its veto or ``None``."""
        ...


@dataclass(frozen=True, slots=True)
class EnqueueHooks:
    """Which middleware of one list implement which of scalejobs' enqueue hooks, each in list order."""

    checks: tuple[ChecksEnqueue, ...]
    batch_checks: tuple[ChecksEnqueueMany, ...]
    batch_enqueues: tuple[EnqueuesMany, ...]

    def batch_check(self, middleware: object) -> ChecksEnqueueMany | None:
        """Return ``middleware`` as a ``ChecksEnqueueMany`` if it implements ``check_enqueue_many``."""
        return _find(self.batch_checks, middleware)

    def batch_enqueue(self, middleware: object) -> EnqueuesMany | None:
        """Return ``middleware`` as an ``EnqueuesMany`` if it implements ``before_enqueue_many``."""
        return _find(self.batch_enqueues, middleware)


def enqueue_hooks(middleware: Sequence[dramatiq.Middleware]) -> EnqueueHooks:
    """Return which of ``middleware`` implement which enqueue hook; cached per list, as ``dispatch.hooks`` caches."""
    stack = tuple(middleware)
    try:
        return _enqueue_hooks(stack)
    except TypeError:  # an unhashable middleware: answer without the cache
        return _enqueue_hooks.__wrapped__(stack)


@functools.lru_cache(maxsize=64)
def _enqueue_hooks(stack: tuple[dramatiq.Middleware, ...]) -> EnqueueHooks:
    return EnqueueHooks(
        checks=tuple(middleware for middleware in stack if isinstance(middleware, ChecksEnqueue)),
        batch_checks=tuple(middleware for middleware in stack if isinstance(middleware, ChecksEnqueueMany)),
        batch_enqueues=tuple(middleware for middleware in stack if isinstance(middleware, EnqueuesMany)),
    )


def _find(implementers: tuple[T, ...], middleware: object) -> T | None:
    for candidate in implementers:
        if candidate is middleware:
            return candidate
    return None
