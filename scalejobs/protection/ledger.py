"""Keep every ECS task's protection record in Redis: leases, jobs, state, history.

``TaskLedger`` is the engine's store and the admin's query API; it alone
knows the key formats. All keys of one task live under
``<prefix>:protection:task:<task arn>:`` (see ``lua/sync.lua`` for each
key's type) and expire on their own: ``alive`` a process timeout after the
last heartbeat, the rest once any protection they describe must have
expired too. Each change is one Lua script, with "now" passed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis

from ..errors import StoreUnavailable
from ..kernel.lua import load_script
from ..kernel.replies import text
from ..keys import KeySpace
from .state import StateChange

ACTIONS = ("none", "enable", "disable", "wait")



def _float(value: Any) -> float:
    return float(value) if value not in (None, b"", "") else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The task's protection as one ``sync`` saw it, and the call that is due."""

    action: str
    status: str
    expires_at: float
    backoff_until: float
    recheck_at: float
    failures: int
    since: float
    busy: bool
    # ECS refused to protect the task (not TASK_NOT_VALID): it is going away, so jobs must not start.
    refused: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class JobView:
    """A job in flight that holds (or, when stuck, no longer holds) protection."""

    message_id: str
    actor: str
    started_at: float
    stuck: bool
    process: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessView:
    """A live worker process of a task."""

    id: str
    host: str
    pid: int | None
    heartbeat: float
    busy_until: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskView:
    """What the admin shows for one ECS task running workers."""

    task_arn: str
    cluster: str | None
    transport: str | None
    status: str
    since: float | None
    expires_at: float | None
    backoff_until: float | None
    recheck_at: float | None
    switched_off: str | None
    failures: int
    last_call: dict[str, Any] | None
    processes: list[ProcessView] = field(default_factory=list)
    jobs: list[JobView] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def protected_at(self, now: float) -> bool:
        """Tell whether the task was protected at ``now``, as far as the record knows."""
        return self.status == "on" and (self.expires_at or 0) > now


class TaskLedger:
    """Read and change the protection records of ECS tasks in Redis."""

    def __init__(self, client: redis.Redis, keys: KeySpace, *, history_length: int = 50) -> None:
        self.client = client
        self.keys = keys
        self.history_length = history_length
        self._sync = load_script(client, __package__, "sync")
        self._record = load_script(client, __package__, "record")
        self._leave = load_script(client, __package__, "leave")

    def _task_keys(self, task: str) -> dict[str, str]:
        return {part: self.keys("task", task, part) for part in ("alive", "state", "procs", "leases", "jobs", "history", "lock")}

    def sync(
        self,
        task: str,
        process: str,
        *,
        now: float,
        process_timeout: float,
        data_ttl: float,
        idle_grace: float,
        renew_before: float,
        lease: float | None = None,
        jobs: str = "",
        lock_ttl: float | None = None,
        events: tuple[dict[str, Any], ...] = (),
    ) -> Decision:
        """Publish ``process``'s lease (when given), sweep, and decide the next call.

        With ``lock_ttl`` (seconds) a due call also takes the task's call lock,
        so the caller must make it and then ``record`` it.
        """
        k = self._task_keys(task)
        keys = [self.keys("tasks"), k["alive"], k["state"], k["procs"], k["leases"], k["jobs"], k["history"], k["lock"]]
        args: list[Any] = [
            repr(now),
            task,
            process,
            "" if lease is None else repr(lease),
            jobs,
            repr(process_timeout),
            int(data_ttl * 1000),
            repr(idle_grace),
            repr(renew_before),
            "" if lock_ttl is None else int(lock_ttl * 1000),
            self.history_length,
            *(json.dumps(event) for event in events),
        ]
        try:
            reply = self._sync(keys=keys, args=args)
        except redis.RedisError as error:
            raise StoreUnavailable(f"protection sync for task {task!r} failed: {error}") from error
        action, status, expires, backoff, recheck, failures, since, busy, refused = (part.decode() for part in reply)
        return Decision(
            action=action,
            status=status,
            expires_at=float(expires),
            backoff_until=float(backoff),
            recheck_at=float(recheck),
            failures=int(float(failures)),
            since=float(since),
            busy=busy == "1",
            refused=refused == "1",
        )

    def record(
        self, task: str, process: str, action: str, change: StateChange, event: dict[str, Any] | None, *, data_ttl: float
    ) -> None:
        """Store a call's outcome in the task's state and release the call lock."""
        k = self._task_keys(task)
        args: list[str | int] = [process, action, json.dumps(change.fields()), json.dumps(event) if event else "", self.history_length, int(data_ttl * 1000)]
        try:
            self._record(keys=[k["state"], k["history"], k["lock"]], args=args)
        except redis.RedisError as error:
            raise StoreUnavailable(f"recording a protection call for task {task!r} failed: {error}") from error

    def leave(self, task: str, process: str, *, now: float, process_timeout: float, data_ttl: float) -> int:
        """Remove a stopping process; return how many live processes the task still has."""
        k = self._task_keys(task)
        args: list[str | int] = [repr(now), process, repr(process_timeout), int(data_ttl * 1000)]
        try:
            return int(self._leave(keys=[k["procs"], k["leases"], k["jobs"], k["state"]], args=args))
        except redis.RedisError as error:
            raise StoreUnavailable(f"leaving task {task!r} failed: {error}") from error

    # -- the admin's queries -----------------------------------------------------------------

    def tasks(self) -> list[TaskView]:
        """Return every task with a live worker process, by task ARN; forget stopped ones."""
        index = self.keys("tasks")
        names = sorted(text(member) for member in self.client.smembers(index))
        views = []
        for name in names:
            view = self.task(name)
            if view is None:
                self.client.srem(index, name)
            else:
                views.append(view)
        return views

    def task(self, task: str) -> TaskView | None:
        """Return the live view of ``task``, or None once no process of it heartbeats."""
        k = self._task_keys(task)
        pipe = self.client.pipeline(transaction=False)
        pipe.exists(k["alive"])
        pipe.hgetall(k["state"])
        pipe.zrange(k["procs"], 0, -1, withscores=True)
        pipe.zrange(k["leases"], 0, -1, withscores=True)
        pipe.hgetall(k["jobs"])
        pipe.lrange(k["history"], 0, self.history_length - 1)
        alive, state, procs, leases, jobs, history = pipe.execute()
        if not alive:
            return None
        state = {key.decode(): value.decode() for key, value in state.items()}
        lease_of = {member.decode(): score for member, score in leases}
        documents = {member.decode(): json.loads(value) for member, value in jobs.items()}
        processes, running = [], []
        for member, heartbeat in procs:
            process = member.decode()
            document = documents.get(process, {})
            processes.append(
                ProcessView(
                    id=process,
                    host=document.get("host", ""),
                    pid=document.get("pid"),
                    heartbeat=heartbeat,
                    busy_until=lease_of.get(process, 0.0),
                )
            )
            for job in document.get("jobs", []):
                running.append(JobView(process=process, **job))
        first: dict[str, Any] = next(iter(documents.values()), {})
        return TaskView(
            task_arn=task,
            cluster=first.get("cluster"),
            transport=first.get("transport"),
            status=state.get("status", "off"),
            since=_float(state.get("since")) or None,
            expires_at=_float(state.get("expires_at")) or None,
            backoff_until=_float(state.get("backoff_until")) or None,
            recheck_at=_float(state.get("recheck_at")) or None,
            switched_off=state.get("switched_off") or None,
            failures=int(_float(state.get("failures"))),
            last_call=json.loads(state["last_call"]) if state.get("last_call") else None,
            processes=processes,
            jobs=sorted(running, key=lambda job: job.started_at),
            history=[json.loads(entry) for entry in history],
        )
