"""``@scalejobs.job``: a Dramatiq actor with Sidekiq-style enqueue methods."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast, overload

import dramatiq

from ..encryption import SEALED, sealed_token
from ..errors import JobOptionError, UndecryptableArguments
from .bulk import enqueue_bulk
from .enqueue import Delay, delay_until, enqueue
from .options import check_job_options
from .payload import check_arguments

#: Message option that seals one message of any ``Job`` (the tasks backend sets it per task).
ENCRYPT = "scalejobs_encrypt"


class Job(dramatiq.Actor[..., Any]):
    """An actor whose sends check their arguments and can wait for a commit."""

    #: Whether ``perform_*`` waits for the transaction commit; ``None`` follows the settings.
    on_commit: bool | str | None = None
    #: Whether Redis holds this job's arguments encrypted (``encrypt=True``).
    encrypt: bool = False

    def message_with_options(self, *, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, **options: Any) -> dramatiq.Message[Any]:
        """Build a message as Dramatiq does; sealed, when the job encrypts its arguments."""
        message = super().message_with_options(args=args, kwargs=kwargs, **options)
        if self.encrypt or options.get(ENCRYPT) is True:
            from ..encryption import seal

            return seal(message)
        return message

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the job; arguments that arrive sealed are decrypted first, here in the worker."""
        if not args and sealed_token(kwargs) is not None:
            from ..encryption import keyring

            args, kwargs = keyring().unseal(kwargs[SEALED], actor=self.actor_name)
        return super().__call__(*args, **kwargs)

    def send_with_options(
        self,
        *,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        delay: dt.timedelta | int | None = None,
        **options: Any,
    ) -> dramatiq.Message[Any]:
        """Send at once, as Dramatiq does, after checking the arguments are JSON-safe."""
        check_arguments(args, kwargs or {})
        return super().send_with_options(args=args, kwargs=kwargs, delay=delay, **options)

    def perform_later(self, *args: Any, **kwargs: Any) -> dramatiq.Message[Any] | None:
        """Enqueue the job to run as soon as a worker is free."""
        return enqueue(self, args, kwargs)

    def perform_in(self, delay: Delay, *args: Any, **kwargs: Any) -> dramatiq.Message[Any] | None:
        """Enqueue the job to run after ``delay`` seconds (or a ``timedelta``)."""
        return enqueue(self, args, kwargs, delay=delay)

    def perform_at(self, when: dt.datetime, *args: Any, **kwargs: Any) -> dramatiq.Message[Any] | None:
        """Enqueue the job to run at the aware datetime ``when``."""
        return enqueue(self, args, kwargs, delay=delay_until(when))

    def perform_bulk(
        self,
        args_list: Iterable[Sequence[Any]] | None = None,
        kwargs_list: Iterable[Mapping[str, Any]] | None = None,
        *,
        delay: Delay | None = None,
        on_commit: bool | str | None = None,
    ) -> list[dramatiq.Message[Any] | None]:
        """Enqueue one job per item of ``args_list`` (argument tuples) and/or ``kwargs_list`` (dicts).

        ``job.perform_bulk([(1,), (2,)])`` runs ``job(1)`` and ``job(2)``;
        ``kwargs_list=[{"n": 1}, ...]`` passes keyword arguments, and both
        lists together pair up item by item. Every message is checked and
        passes the enqueue middleware as with ``perform_later``, but they
        travel in a few round trips. Returns the messages in order, ``None``
        for each dropped duplicate.
        """
        return enqueue_bulk(self, args_list, kwargs_list, delay=delay, on_commit=on_commit)


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
    encrypt: bool = False,
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
    encrypt: bool = False,
    **options: Any,
) -> Job | Callable[[Callable[..., Any]], Job]:
    """Turn a function into a job; use bare (``@job``) or with options.

    Every Dramatiq actor option is accepted, plus the options of the
    scalejobs middleware on the broker (``unique_for``, ``throttle``, ...).
    ``encrypt=True`` keeps the arguments encrypted in Redis; a message no
    configured key decrypts is dead-lettered at once, never retried.
    """
    name = actor_name or str(getattr(fn, "__name__", "job"))
    if not isinstance(encrypt, bool):
        raise JobOptionError(f"{name}: encrypt must be True or False, got {encrypt!r}.")
    check_job_options(name, options)
    if encrypt:
        options["throws"] = _with_undecryptable(options.get("throws"))

    def decorate(function: Callable[..., Any]) -> Job:
        # Dramatiq's overloads type the decorator form only, and as returning a plain Actor.
        actor = cast(Job, dramatiq.actor(
            actor_class=Job,
            actor_name=actor_name,
            queue_name=queue_name,
            priority=priority,
            broker=broker,
            **options,
        )(function))
        actor.on_commit = on_commit
        actor.encrypt = encrypt
        return actor

    if fn is not None:
        return decorate(fn)
    return decorate


def _with_undecryptable(throws: Any) -> tuple[type[BaseException], ...]:
    if throws is None:
        return (UndecryptableArguments,)
    given = tuple(throws) if isinstance(throws, (tuple, list)) else (throws,)
    return given if UndecryptableArguments in given else (*given, UndecryptableArguments)


def perform_later(job: dramatiq.Actor[..., Any], *args: Any, on_commit: bool | str | None = None, **kwargs: Any) -> dramatiq.Message[Any] | None:
    """Enqueue ``job`` (any actor) with ``args``/``kwargs``; see ``Job.perform_later``.

    ``on_commit`` is reserved here: ``False`` sends at once even inside a
    transaction. Returns the ``dramatiq.Message``, or ``None`` when the
    message was dropped as a duplicate.
    """
    return enqueue(job, args, kwargs, on_commit=on_commit)


def perform_bulk(
    job: dramatiq.Actor[..., Any],
    args_list: Iterable[Sequence[Any]] | None = None,
    kwargs_list: Iterable[Mapping[str, Any]] | None = None,
    *,
    delay: Delay | None = None,
    on_commit: bool | str | None = None,
) -> list[dramatiq.Message[Any] | None]:
    """Enqueue many messages of ``job`` (any actor); see ``Job.perform_bulk``."""
    return enqueue_bulk(job, args_list, kwargs_list, delay=delay, on_commit=on_commit)
