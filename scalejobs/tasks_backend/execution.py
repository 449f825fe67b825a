"""Run one attempt of a Django task inside a Dramatiq worker, recording its result.

The attempt is RUNNING from just before the task function is called; it ends
SUCCESSFUL with the JSON of the return value, or with the exception's class
and traceback: FAILED when no retry follows, READY when Dramatiq's
``Retries`` will send it again. ``task_started`` fires before the call,
``task_finished`` once the task is done for good (inside the ``except``
block on failure, so Django's logger records the traceback).
"""

from __future__ import annotations

import json
import os
import socket
import traceback
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import Retries

from .compat import InvalidTask, TaskContext, normalize_json, task_backends, task_finished, task_started
from ..encryption import is_sealed
from .engine import FAILED, READY, SUCCESSFUL, RecordedError, TaskRecord, TaskResults, TaskSpec
from .results import exception_path, task_of, task_result
from .runner import SENT
from .sealing import redacted, sealed_spec

if TYPE_CHECKING:
    from .backend import DramatiqBackend


def execute(message: dramatiq.Message[Any], task_path: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Run the task of ``message``; re-raise its exception so Dramatiq retries or dead-letters it."""
    sent = message.options.get(SENT) or {}
    spec = TaskSpec(
        id=message.message_id,
        task_path=task_path,
        backend=sent.get("backend", "default"),
        queue_name=q_name(message.queue_name),
        priority=0,
        run_after=sent.get("run_after"),
        args=args,
        kwargs=kwargs,
        enqueued_at=message.message_timestamp / 1000,
    )
    backend = task_backends[spec.backend]
    if not hasattr(backend, "results"):
        raise InvalidTask(f"TASKS[{spec.backend!r}] in this worker is {type(backend).__name__}, not a DramatiqBackend.")
    ttl = cast("DramatiqBackend", backend).config.result_ttl
    results = _Record(cast("DramatiqBackend", backend).results, sealed=is_sealed(message))
    try:
        task = task_of(spec)
    except InvalidTask as error:
        results.started(spec, worker_id=worker_id(), ttl=ttl)
        results.finished(spec, status=_outcome(message, error), ttl=ttl, error=_recorded(error))
        raise
    result = task_result(task, results.started(spec, worker_id=worker_id(), ttl=ttl))
    task_started.send(type(backend), task_result=result)
    try:
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *args, **kwargs)
        else:
            value = task.call(*args, **kwargs)
        return_json = json.dumps(normalize_json(value), allow_nan=False)
    except BaseException as error:
        status = _outcome(message, error)
        record = results.finished(spec, status=status, ttl=ttl, error=_recorded(error))
        if status == FAILED:
            task_finished.send(type(backend), task_result=task_result(task, record))
        raise
    record = results.finished(spec, status=SUCCESSFUL, ttl=ttl, return_json=return_json)
    task_finished.send(type(backend), task_result=task_result(task, record))


class _Record:
    """Write a task's result record, sealed when its message is: the worker's signals still see it in clear."""

    def __init__(self, results: TaskResults, *, sealed: bool) -> None:
        self.results = results
        self.sealed = sealed

    def started(self, spec: TaskSpec, **kwargs: Any) -> TaskRecord:
        stored = self.results.started(sealed_spec(spec) if self.sealed else spec, **kwargs)
        return replace(stored, spec=spec)

    def finished(self, spec: TaskSpec, *, error: RecordedError | None = None, **kwargs: Any) -> TaskRecord:
        if self.sealed and error is not None:
            error = redacted(error)
        stored = self.results.finished(sealed_spec(spec) if self.sealed else spec, error=error, **kwargs)
        return replace(stored, spec=spec)


def worker_id() -> str:
    """Return this worker process's id in results: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _outcome(message: dramatiq.Message[Any], error: BaseException) -> str:
    """Return READY if Dramatiq's ``Retries`` will send ``message`` again after ``error``, else FAILED."""
    broker = dramatiq.get_broker()
    retries = next((m for m in broker.middleware if isinstance(m, Retries)), None)
    if retries is None:
        return FAILED
    actor = broker.get_actor(message.actor_name)
    throws = message.options.get("throws") or actor.options.get("throws")
    if throws and isinstance(error, throws):
        return FAILED
    done = message.options.get("retries", 0)
    retry_when = actor.options.get("retry_when", retries.retry_when)
    if retry_when is not None:
        return READY if retry_when(done, error) else FAILED
    max_retries = message.options.get("max_retries", actor.options.get("max_retries", retries.max_retries))
    return READY if max_retries is None or done < max_retries else FAILED


def _recorded(error: BaseException) -> RecordedError:
    return RecordedError(exception_class_path=exception_path(error), traceback="".join(traceback.format_exception(error)))
