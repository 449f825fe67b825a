"""``scalejobs.Batch``: a group of jobs tracked as one, with callbacks that run exactly once.

Every job sent inside ``with batch:`` joins it, whatever sends it
(``perform_later``, ``perform_bulk``, ``.send()``, the tasks backend,
``deliver_later``): the ``Batches`` middleware marks each message with the
batch of the ``with`` block open in this context and counts it once sent.
Each ``with`` block holds the batch open until it ends, so the batch cannot
finish while jobs are still being added, from the creator, from a job of
the batch (``Batch.current().add(...)``) or from anywhere else.

Inside ``transaction.atomic()`` (with ``SCALEJOBS["ON_COMMIT"]``, as for
``perform_later``) the batch opens and its jobs are sent at the commit, in
the order they were enqueued; a rollback sends nothing and leaves no batch.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from types import TracebackType
from typing import Any

import dramatiq
from django.db import DEFAULT_DB_ALIAS, transaction

from ..conf import get_settings
from ..errors import EnqueueVeto, ScalejobsError
from . import engine as batch_engine
from .engine import CALLBACKS, BatchStatus

# Messages counted per round trip while a ``with`` block is open.
FLUSH_EVERY = 1000

# The batch whose ``with`` block is open in this context.
_open: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("scalejobs_open_batch", default=None)
# The batch of the job running in this worker thread.
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("scalejobs_running_batch", default=None)


class BatchClosed(ScalejobsError, LookupError):
    """Raised when jobs are added to a batch that has finished or expired."""


class BatchNotOpen(EnqueueVeto):
    """Raised when a job is sent at once inside a batch that opens only when the transaction commits."""


class Batch:
    """A group of jobs tracked as one; use as ``with Batch(...) as batch:``.

    ``on_success``, ``on_complete`` and ``on_death`` are jobs, each run once
    with ``(batch_id, status)`` (``status`` as ``BatchStatus.as_dict()``):
    ``on_complete`` when every job ran (succeeded or failed beyond its
    retries), ``on_success`` when every job succeeded, ``on_death`` when the
    first job died. A ``Batch`` created inside another's ``with`` block is a
    child: one job of its parent, succeeded when all its own jobs are.
    """

    def __init__(
        self,
        description: str = "",
        *,
        on_success: dramatiq.Actor[..., Any] | None = None,
        on_complete: dramatiq.Actor[..., Any] | None = None,
        on_death: dramatiq.Actor[..., Any] | None = None,
        on_commit: bool | str | None = None,
    ) -> None:
        if not isinstance(description, str):
            raise TypeError(f"description: expected a string, got {description!r}")
        self.id = uuid.uuid4().hex
        self.description = description
        self.callbacks = {kind: _actor_name(kind, actor) for kind, actor in zip(CALLBACKS, (on_success, on_complete, on_death), strict=True)}
        self.on_commit = on_commit
        self._created = False
        # Holds taken in Redis and not released yet: while any, sent messages join.
        self._live = 0
        self._holds: list[tuple[str, contextvars.Token[Batch | None], bool]] = []
        self._commit_tokens: dict[str, contextvars.Token[Batch | None]] = {}
        self._counted: list[str] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Batch {self.id} {self.description!r}>"

    @classmethod
    def open(cls, batch_id: str) -> Batch:
        """Return a handle on the existing batch ``batch_id``, to add jobs to it."""
        batch = cls()
        batch.id = batch_id
        batch._created = True
        return batch

    @classmethod
    def current(cls) -> Batch | None:
        """Return the batch of the running job (or of the open ``with`` block), or ``None``."""
        batch = _open.get()
        if batch is not None:
            return batch
        batch_id = _running.get()
        return None if batch_id is None else cls.open(batch_id)

    @staticmethod
    def status(batch_id: str) -> BatchStatus | None:
        """Return where the batch stands, or ``None`` if it does not exist (never created, or expired)."""
        return batch_engine_for().status(batch_id)

    def add(self, job: dramatiq.Actor[..., Any], *args: Any, **kwargs: Any) -> dramatiq.Message[Any] | None:
        """Enqueue ``job(*args, **kwargs)`` as a job of this batch, as ``perform_later`` does."""
        from ..jobs import enqueue

        with self:
            return enqueue(job, args, kwargs)

    def __enter__(self) -> Batch:
        hold = uuid.uuid4().hex
        using = self._commit_alias()
        deferred = using is not None and transaction.get_connection(using).in_atomic_block
        if deferred:
            transaction.on_commit(lambda: self._begin_at_commit(hold), using=using)
        else:
            self._take(hold)
        self._holds.append((hold, _open.set(self), deferred))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        hold, token, deferred = self._holds.pop()
        _open.reset(token)
        if deferred:
            transaction.on_commit(lambda: self._end_at_commit(hold), using=self._commit_alias())
        else:
            self._release(hold)

    def _begin_at_commit(self, hold: str) -> None:
        self._take(hold)
        self._commit_tokens[hold] = _open.set(self)

    def _end_at_commit(self, hold: str) -> None:
        token = self._commit_tokens.pop(hold, None)
        if token is None:
            return  # the batch could not open at the commit, and that error was raised there
        _open.reset(token)
        self._release(hold)

    def _take(self, hold: str) -> None:
        engine = batch_engine_for()
        parent = _open.get()
        try:
            if self._created:
                engine.open(self.id, hold)
            else:
                create = {"description": self.description, **self.callbacks}
                engine.open(self.id, hold, create=create, parent=None if parent is None else parent.id)
                self._created = True
        except (batch_engine.BatchFinished, batch_engine.BatchGone) as error:
            raise BatchClosed(str(error)) from error
        self._live += 1

    def _release(self, hold: str) -> None:
        from .callbacks import send_fired

        try:
            self.flush()
        finally:
            self._live -= 1
            engine = batch_engine_for()
            send_fired(engine, engine.release(self.id, hold))

    def joining(self) -> bool:
        """Tell whether a message sent now joins this batch (raise ``BatchNotOpen`` if it cannot yet)."""
        if not self._live:
            raise BatchNotOpen(
                f"batch {self.id!r} opens when the transaction commits, but a job was sent at once inside it "
                "(on_commit=False); send it with the default on_commit, or open the batch outside the transaction."
            )
        return True

    def count(self, message_id: str) -> None:
        """Count ``message_id`` as a job of this batch, in the next round trip."""
        with self._lock:
            self._counted.append(message_id)
            full = len(self._counted) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        """Count the messages sent since the last flush."""
        with self._lock:
            counted, self._counted = self._counted, []
        if counted:
            from .callbacks import send_fired

            engine = batch_engine_for()
            try:
                fired = engine.add(self.id, counted)
            except (batch_engine.BatchFinished, batch_engine.BatchGone) as error:
                raise BatchClosed(str(error)) from error
            send_fired(engine, fired)

    def _commit_alias(self) -> str | None:
        on_commit = self.on_commit
        if on_commit is None:
            on_commit = get_settings().on_commit
        if on_commit is True:
            return DEFAULT_DB_ALIAS
        return on_commit or None


def open_batch() -> Batch | None:
    """Return the batch whose ``with`` block is open in this context, if any."""
    return _open.get()


def run_in(batch_id: str | None) -> None:
    """Make ``batch_id`` the batch of the job this worker thread runs (``None`` once it ended)."""
    _running.set(batch_id)


def batch_engine_for() -> batch_engine.BatchEngine:
    """Return the engine on the configured Redis."""
    from . import engine_from_settings

    return engine_from_settings()


def _actor_name(kind: str, actor: Any) -> str:
    if actor is None:
        return ""
    if not isinstance(actor, dramatiq.Actor):
        raise TypeError(f"{kind}: expected a job (a @scalejobs.job or Dramatiq actor), got {actor!r}")
    return actor.actor_name
