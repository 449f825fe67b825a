"""``@scalejobs.job``: a Dramatiq actor with Sidekiq-style enqueue methods."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, overload

import dramatiq

from .enqueue import Delay, delay_until, enqueue
from .payload import check_arguments


class Job(dramatiq.Actor):
    """An actor whose sends check their arguments and can wait for a commit."""

    #: Whether ``perform_*`` waits for the transaction commit; ``None`` follows the settings.
    on_commit: bool | str | None = None

    def send_with_options(
        self,
        *,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        delay: dt.timedelta | int | None = None,
        **options: Any,
    ) -> dramatiq.Message:
        """Send at once, as Dramatiq does, after checking the arguments are JSON-safe."""
        check_arguments(args, kwargs or {})
        return super().send_with_options(args=args, kwargs=kwargs, delay=delay, **options)

    def perform_later(self, *args: Any, **kwargs: Any) -> dramatiq.Message | None:
        """Enqueue the job to run as soon as a worker is free."""
        return enqueue(self, args, kwargs)

    def perform_in(self, delay: Delay, *args: Any, **kwargs: Any) -> dramatiq.Message | None:
        """Enqueue the job to run after ``delay`` seconds (or a ``timedelta``)."""
        return enqueue(self, args, kwargs, delay=delay)

    def perform_at(self, when: dt.datetime, *args: Any, **kwargs: Any) -> dramatiq.Message | None:
        """Enqueue the job to run at the aware datetime ``when``."""
        return enqueue(self, args, kwargs, delay=delay_until(when))


@overload
def job(fn: Callable[..., Any], /) -> Job: ...
@overload
def job(
    *,
    actor_name: str | None = None,
    queue_name: str = "default",
    priority: int = 0,
    broker: dramatiq.Broker | None = None,
    on_commit: bool | str | None = None,
    **options: Any,
) -> Callable[[Callable[..., Any]], Job]: ...
def job(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    actor_name: str | None = None,
    queue_name: str = "default",
    priority: int = 0,
    broker: dramatiq.Broker | None = None,
    on_commit: bool | str | None = None,
    **options: Any,
) -> Job | Callable[[Callable[..., Any]], Job]:
    """Turn a function into a job; use bare (``@job``) or with options.

    Every Dramatiq actor option is accepted, plus the options of the
    scalejobs middleware on the broker (``unique_for``, ``throttle``, ...).
    """

    def decorate(function: Callable[..., Any]) -> Job:
        actor = dramatiq.actor(
            function,
            actor_class=Job,
            actor_name=actor_name,
            queue_name=queue_name,
            priority=priority,
            broker=broker,
            **options,
        )
        actor.on_commit = on_commit
        return actor

    if fn is not None:
        return decorate(fn)
    return decorate


def perform_later(job: dramatiq.Actor, *args: Any, on_commit: bool | str | None = None, **kwargs: Any) -> dramatiq.Message | None:
    """Enqueue ``job`` (any actor) with ``args``/``kwargs``; see ``Job.perform_later``.

    ``on_commit`` is reserved here: ``False`` sends at once even inside a
    transaction. Returns the ``dramatiq.Message``, or ``None`` when the
    message was dropped as a duplicate.
    """
    return enqueue(job, args, kwargs, on_commit=on_commit)
