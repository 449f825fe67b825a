"""Run the enqueue hooks of a batch of messages, as ``Broker.enqueue`` runs them for one.

Every middleware sees every message, in stack order, with Dramatiq's
rules: a ``MiddlewareError`` raised by ``before_enqueue`` vetoes that
message; any other error is logged and ignored. Two things differ from a
loop of ``enqueue``:

- a middleware that defines ``before_enqueue_many(broker, messages, delay)``
  (``scalejobs.kernel.hooks.EnqueuesMany``)
  gets the whole batch in one call and returns, per message, its veto or
  ``None``: that is how the unique locks of a batch are taken in one round
  trip (see ``scalejobs/unique/locks.py``);
- middleware that keep Dramatiq's no-op hooks are not called at all (see
  ``hooks``).

The whole batch passes one middleware before the next sees it, so a veto
is known for every message before any is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import dramatiq
from dramatiq.middleware import MiddlewareError

from ..kernel.hooks import enqueue_hooks
from .hooks import listeners

logger = logging.getLogger(__name__)


def before_enqueue_all(
    broker: dramatiq.Broker, messages: Sequence[dramatiq.Message[Any]], delay: int | None, *, drop: tuple[type[Exception], ...] = ()
) -> list[dramatiq.Message[Any] | None]:
    """Run every ``before_enqueue`` hook on ``messages``; return them, ``None`` for each one dropped.

    A veto of a type in ``drop`` drops just its message; any other veto is
    raised, with a note naming the message's index in ``messages``.
    """
    kept: list[dramatiq.Message[Any] | None] = list(messages)
    for middleware in listeners(broker.middleware, "before_enqueue"):
        live = [index for index, message in enumerate(kept) if message is not None]
        if not live:
            break
        batch = enqueue_hooks(broker.middleware).batch_enqueue(middleware)
        if batch is not None:
            vetoes = batch.before_enqueue_many(broker, [message for message in kept if message is not None], delay)
        else:
            vetoes = [_before_one(broker, middleware, kept[index], delay) for index in live]  # type: ignore[arg-type]
        for index, veto in zip(live, vetoes, strict=True):
            if veto is None:
                continue
            if isinstance(veto, drop):
                kept[index] = None
                continue
            veto.add_note(f"Raised for message {index} of the batch; no message of it was sent.")
            raise veto
    return kept


def after_enqueue_all(broker: dramatiq.Broker, messages: Sequence[dramatiq.Message[Any]], delay: int | None) -> None:
    """Run every ``after_enqueue`` hook on each sent message, in Dramatiq's (reversed) order."""
    for middleware in reversed(listeners(broker.middleware, "after_enqueue")):
        for message in messages:
            try:
                middleware.after_enqueue(broker, message, delay)  # type: ignore[arg-type]  # None too, as Broker.enqueue passes it
            except Exception:
                logger.critical("Unexpected failure in after_enqueue of %r.", middleware, exc_info=True)


def _before_one(broker: dramatiq.Broker, middleware: dramatiq.Middleware, message: dramatiq.Message[Any], delay: int | None) -> MiddlewareError | None:
    try:
        middleware.before_enqueue(broker, message, delay)  # type: ignore[arg-type]  # None too, as Broker.enqueue passes it
    except MiddlewareError as veto:
        return veto
    except Exception:
        logger.critical("Unexpected failure in before_enqueue of %r.", middleware, exc_info=True)
    return None

