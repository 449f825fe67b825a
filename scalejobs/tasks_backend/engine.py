"""Keep each Django task's result in Redis: its state, attempts, errors and return value.

Invariant: a result only moves forward. It is created READY by the enqueue,
RUNNING by each start, and SUCCESSFUL or FAILED by the end of an attempt
(READY again when the attempt failed and will be retried). The enqueue never
overwrites a record a worker already wrote, so the order in which the web
process and a fast worker reach Redis does not matter. Every write carries
the task's description (``TaskSpec``), so whichever write comes first
creates the record.

Every record expires ``ttl`` seconds after its last write (an enqueue with a
delay keeps it at least until the delay is over plus ``ttl``).

Redis keys, under ``<prefix>:tasks``:

- ``result:<id>``: hash ``{spec (JSON), status, started_at, last_attempted_at,
  finished_at, return (JSON)}``; times are seconds since the epoch.
- ``result:<id>:workers``: list of the worker ids of every attempt, in order.
- ``result:<id>:errors``: list of JSON ``{exception_class_path, traceback}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import redis
from redis.commands.core import Script

from ..clock import Clock, system_clock
from ..kernel.lua import load_script
from ..keys import KeySpace

READY = "READY"
RUNNING = "RUNNING"
SUCCESSFUL = "SUCCESSFUL"
FAILED = "FAILED"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskSpec:
    """What was asked for: which task, with which arguments; fixed at enqueue."""

    id: str
    task_path: str
    backend: str
    queue_name: str
    priority: int
    run_after: float | None
    args: list[Any]
    kwargs: dict[str, Any]
    enqueued_at: float

    def encode(self) -> str:
        """Return the spec as the JSON the records store."""
        fields = {name: getattr(self, name) for name in self.__slots__}  # asdict() deep-copies: slow
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: bytes | str) -> TaskSpec:
        """Return the spec stored as ``raw``."""
        return cls(**json.loads(raw))


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedError:
    """One failed attempt: the exception's import path and its formatted traceback."""

    exception_class_path: str
    traceback: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRecord:
    """A result as stored: the spec plus everything that happened to it."""

    spec: TaskSpec
    status: str
    started_at: float | None
    last_attempted_at: float | None
    finished_at: float | None
    # JSON of the return value; None until the task succeeds.
    return_json: str | None
    errors: tuple[RecordedError, ...]
    worker_ids: tuple[str, ...]

    @property
    def return_value(self) -> Any:
        """Return the decoded return value (``None`` before success)."""
        return None if self.return_json is None else json.loads(self.return_json)


class TaskResults:
    """Write and read task results; see the module docstring for the keys."""

    def __init__(self, client: redis.Redis, keys: KeySpace, *, clock: Clock = system_clock) -> None:
        self.client = client
        self.keys = keys
        self.clock = clock

    def enqueued(self, spec: TaskSpec, *, ttl: float) -> None:
        """Create the READY record of a freshly sent task, unless a worker got there first."""
        self._script("enqueue")(keys=self._keys(spec.id), args=[spec.encode(), _ms(ttl)])

    def started(self, spec: TaskSpec, *, worker_id: str, ttl: float) -> TaskRecord:
        """Mark an attempt as RUNNING on ``worker_id``; return the record after the change."""
        args = [spec.encode(), repr(self.clock()), worker_id, _ms(ttl)]
        return self._write_then_read(spec.id, "start", args)

    def finished(
        self,
        spec: TaskSpec,
        *,
        status: str,
        ttl: float,
        return_json: str | None = None,
        error: RecordedError | None = None,
    ) -> TaskRecord:
        """End an attempt with ``status`` (READY when a retry follows); return the record."""
        if status not in (SUCCESSFUL, FAILED, READY):
            raise ValueError(f"status: {status!r} does not end an attempt")
        encoded_error = "" if error is None else json.dumps(asdict(error))
        args = [spec.encode(), repr(self.clock()), status, _ms(ttl), return_json or "", encoded_error]
        return self._write_then_read(spec.id, "finish", args)

    def get(self, result_id: str) -> TaskRecord | None:
        """Return the record of ``result_id``, or ``None`` if there is none (or it expired)."""
        result, workers, errors = self._keys(result_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hgetall(result)
        pipe.lrange(workers, 0, -1)
        pipe.lrange(errors, 0, -1)
        return _record(*pipe.execute())

    def _write_then_read(self, result_id: str, script: str, args: Sequence[Any]) -> TaskRecord:
        # The script returns the record it wrote: one round trip per state change.
        fields, workers, errors = self._script(script)(keys=self._keys(result_id), args=list(args))
        record = _record(dict(zip(fields[::2], fields[1::2], strict=True)), workers, errors)
        if record is None:
            raise RuntimeError(f"task result {result_id!r} has no spec right after being written")
        return record

    def _keys(self, result_id: str) -> list[str]:
        result = self.keys("result", result_id)
        return [result, f"{result}:workers", f"{result}:errors"]

    def _script(self, name: str) -> Script:
        return load_script(self.client, __package__, name)


def _record(fields: dict[bytes, bytes], workers: list[bytes], errors: list[bytes]) -> TaskRecord | None:
    if b"spec" not in fields:
        return None
    text = {key.decode(): value.decode() for key, value in fields.items()}
    return TaskRecord(
        spec=TaskSpec.decode(text["spec"]),
        status=text["status"],
        started_at=_float(text.get("started_at")),
        last_attempted_at=_float(text.get("last_attempted_at")),
        finished_at=_float(text.get("finished_at")),
        return_json=text.get("return"),
        errors=tuple(RecordedError(**json.loads(raw)) for raw in errors),
        worker_ids=tuple(raw.decode() for raw in workers),
    )


def _float(value: str | None) -> float | None:
    return None if value is None else float(value)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


