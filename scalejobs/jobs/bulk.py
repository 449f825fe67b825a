"""Enqueue many messages of one job at once: ``Job.perform_bulk``.

Each message gets what ``perform_later`` gives one: its arguments checked
(errors name the message, e.g. ``args_list[3][0]``), every enqueue-side
middleware run on it (a unique job's duplicate is dropped and ``None``
returned in its place), and the wait for the commit inside a transaction.
On ``scalejobs.dispatch.RedisBroker`` the messages travel in one round trip
per thousand (``RedisBroker.enqueue_many``), unique locks in one more; on
any other broker they are sent one by one.

All arguments are checked before anything is sent. A veto other than a
duplicate (Redis unreachable for the unique locks, a failing
``unique_key``) raises before anything is sent on the dispatch broker; in
the one-by-one loop of other brokers, the messages before it stay sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dramatiq
import redis
from django.db import transaction

from ..errors import BrokerUnavailable, DuplicateJob
from ..kernel.hooks import ChecksEnqueue, enqueue_hooks
from .enqueue import Delay, _commit_alias, _milliseconds, _send
from .payload import check_arguments


def enqueue_bulk(
    actor: dramatiq.Actor[..., Any],
    args_list: Iterable[Sequence[Any]] | None = None,
    kwargs_list: Iterable[Mapping[str, Any]] | None = None,
    *,
    delay: Delay | None = None,
    on_commit: bool | str | None = None,
) -> list[dramatiq.Message[Any] | None]:
    """Check, build and send one message of ``actor`` per item; return them in order.

    ``args_list`` holds each message's positional arguments (a tuple or
    list), ``kwargs_list`` its keyword arguments (a dict); give either or
    both, of the same length. ``delay`` and ``on_commit`` apply to every
    message, as in ``enqueue``. A dropped duplicate is ``None`` in the list.
    """
    messages = [actor.message_with_options(args=args, kwargs=kwargs) for args, kwargs in _arguments(args_list, kwargs_list)]
    delay_ms = _milliseconds(delay)
    using = _commit_alias(actor, on_commit)
    if using is not None and transaction.get_connection(using).in_atomic_block:
        duplicates = _duplicates_now(actor.broker, messages)
        pending = [message for message, duplicate in zip(messages, duplicates, strict=True) if not duplicate]
        if pending:
            transaction.on_commit(lambda: _send_many(actor.broker, pending, delay_ms), using=using)
        return [None if duplicate else message for message, duplicate in zip(messages, duplicates, strict=True)]
    return _send_many(actor.broker, messages, delay_ms)


def _arguments(
    args_list: Iterable[Sequence[Any]] | None, kwargs_list: Iterable[Mapping[str, Any]] | None
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    if args_list is None and kwargs_list is None:
        raise TypeError("perform_bulk: give args_list, kwargs_list or both")
    positional = None if args_list is None else list(args_list)
    keywords = None if kwargs_list is None else list(kwargs_list)
    if positional is not None and keywords is not None and len(positional) != len(keywords):
        raise ValueError(f"perform_bulk: args_list has {len(positional)} items but kwargs_list has {len(keywords)}; give one per message")
    count = len(positional if positional is not None else keywords)  # type: ignore[arg-type]
    checked = []
    for index in range(count):
        args = () if positional is None else positional[index]
        kwargs = {} if keywords is None else keywords[index]
        if not isinstance(args, (tuple, list)):
            raise TypeError(f"args_list[{index}]: expected a tuple or list of arguments, got {args!r}; wrap one argument as ({args!r},)")
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"kwargs_list[{index}]: expected a dict of keyword arguments, got {kwargs!r}")
        check_arguments(args, kwargs, args_path=f"args_list[{index}]", kwargs_path=f"kwargs_list[{index}]")
        checked.append((tuple(args), dict(kwargs)))
    return checked


def _send_many(broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]], delay_ms: int | None) -> list[dramatiq.Message[Any] | None]:
    enqueue_many = getattr(broker, "enqueue_many", None)
    if enqueue_many is None:
        return [_send(broker, message, delay_ms) for message in messages]
    try:
        sent: list[dramatiq.Message[Any] | None] = enqueue_many(messages, delay=delay_ms, drop=(DuplicateJob,))
        return sent
    except (redis.ConnectionError, redis.TimeoutError) as error:
        name = messages[0].actor_name
        raise BrokerUnavailable(f"{name}: a batch of {len(messages)} was not sent, or only in part: Redis is unreachable: {error}") from error


def _duplicates_now(broker: dramatiq.Broker, messages: list[dramatiq.Message[Any]]) -> list[bool]:
    duplicates = [False] * len(messages)
    hooks = enqueue_hooks(broker.middleware)
    for middleware in hooks.batch_checks:
        found = middleware.check_enqueue_many(broker, messages)
        duplicates = [seen or veto is not None for seen, veto in zip(duplicates, found, strict=True)]
    for single in hooks.checks:
        if hooks.batch_check(single) is None:
            checked = [_check_one(single, broker, message) for message in messages]
            duplicates = [seen or veto is not None for seen, veto in zip(duplicates, checked, strict=True)]
    return duplicates


def _check_one(middleware: ChecksEnqueue, broker: dramatiq.Broker, message: dramatiq.Message[Any]) -> DuplicateJob | None:
    try:
        middleware.check_enqueue(broker, message)
    except DuplicateJob as duplicate:
        return duplicate
    return None
