"""Django ``@task`` functions the tasks-backend tests enqueue; each records what it did in Redis."""

import asyncio
import os
import time

try:
    from django.tasks import task
except ImportError:
    from django_tasks import task

from scalejobs.store import redis_client

RECORD = "tests:tasks:ran"
SIGNALS = "tests:tasks:signals"


def ran() -> list[str]:
    """Return the tokens the tasks recorded, in order."""
    return [entry.decode().split("|")[0] for entry in redis_client().lrange(RECORD, 0, -1)]


@task
def add(a: int, b: int) -> int:
    """Return ``a + b``."""
    return a + b


@task
def record(token: str) -> str:
    """Record ``token`` with the worker's pid."""
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")
    return token


@task(queue_name="exports")
def record_on_exports(token: str) -> str:
    """Record ``token``; runs on the ``exports`` queue."""
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")
    return token


@task
def hold(token: str, timeout: float = 30.0) -> str:
    """Record that it started, then wait until ``tests:tasks:go:<token>`` exists."""
    client = redis_client()
    client.rpush(RECORD, f"started:{token}|{os.getpid()}")
    deadline = time.monotonic() + timeout
    while not client.exists(f"tests:tasks:go:{token}"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nobody said go to {token!r}")
        time.sleep(0.02)
    return f"held {token}"


@task
def fail(message: str) -> None:
    """Raise ``ValueError(message)``."""
    raise ValueError(message)


@task
async def double_later(value: int) -> int:
    """Return ``2 * value`` from a coroutine."""
    await asyncio.sleep(0)
    return 2 * value


@task(takes_context=True)
def with_context(context, value: int) -> dict:
    """Return what the context says about this attempt."""
    return {"attempt": context.attempt, "id": context.task_result.id, "value": value}


@task(takes_context=True, max_retries=1, min_backoff=10, max_backoff=20)
def fail_first_attempt(context, token: str) -> int:
    """Fail on the first attempt, succeed on the second; return the attempt number."""
    if context.attempt == 1:
        raise RuntimeError(f"first attempt of {token}")
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")
    return context.attempt


@task(unique_for=60)
def unique_record(token: str) -> str:
    """Record ``token``; at most one is queued or running per token."""
    redis_client().rpush(RECORD, f"{token}|{os.getpid()}")
    return token


@task
def returns_a_set() -> set:
    """Return something JSON cannot carry."""
    return {1, 2}


def not_a_task(value: int) -> int:
    """A plain function, for errors."""
    return value


def record_signal(sender, task_result, signal, **kwargs) -> None:
    """Push ``<signal>|<result id>|<status>`` to ``tests:tasks:signals`` (connected in the test app)."""
    name = {id(s): n for n, s in _signals().items()}.get(id(signal), "?")
    redis_client().rpush(SIGNALS, f"{name}|{task_result.id}|{task_result.status}|{task_result.attempts}")


def _signals() -> dict:
    from scalejobs.tasks_backend.compat import task_enqueued, task_finished, task_started

    return {"enqueued": task_enqueued, "started": task_started, "finished": task_finished}


def connect_signals() -> None:
    """Record every task signal sent by a DramatiqBackend in this process."""
    for name, signal in _signals().items():
        signal.connect(record_signal, dispatch_uid=f"tests.tasks.{name}")
