"""Fixtures shared by every tier: a clean Redis, and real worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tiers cheapest first: unit, django, system, then browser."""
    tiers = ("tests/unit/", "tests/django/", "tests/system/", "tests/browser/")

    def tier(item: pytest.Item) -> int:
        path = item.nodeid
        return next((index for index, prefix in enumerate(tiers) if path.startswith(prefix)), len(tiers))

    items.sort(key=tier)


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    """Return the test Redis, emptied before and after the test."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def broker(redis_db: redis.Redis) -> Iterator[dramatiq.Broker]:
    """Return the configured broker, with its middleware restored afterwards."""
    broker = dramatiq.get_broker()
    middleware = list(broker.middleware)
    yield broker
    broker.middleware[:] = middleware


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count Redis round trips from now on: ``"caller"`` for this test's thread, ``"worker"`` for Dramatiq's worker threads, ``"consumer"`` for its consumer threads.

    A command, or a pipeline's execute, is one; connection handshakes are not counted.
    """
    counts: Counter[str] = Counter()
    caller = threading.get_ident()
    command, execute = redis.Redis.execute_command, redis.client.Pipeline.execute

    def note() -> None:
        thread = threading.current_thread()
        if isinstance(thread, dramatiq.worker.WorkerThread):
            counts["worker"] += 1
        elif isinstance(thread, dramatiq.worker.ConsumerThread):
            counts["consumer"] += 1
        elif thread.ident == caller:
            counts["caller"] += 1

    def counted_command(self: redis.Redis, *args: Any, **options: Any) -> Any:
        note()
        return command(self, *args, **options)

    def counted_execute(self: redis.client.Pipeline, *args: Any, **options: Any) -> Any:
        if self.command_stack:
            note()
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted_command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_execute)
    return counts


def run_scenario(module: str, *args: str, timeout: float) -> Any:
    """Run ``python -m module *args``, a scenario with its own Redis and workers, and return its JSON report.

    The scenario starts what it needs itself, so this run's ``SCALEJOBS_TEST_*``
    variables stay out of its environment; ``timeout`` only guards against a hang.
    A scenario exits non-zero when it found a problem, which its report names.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SCALEJOBS_TEST_")}
    finished = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )
    assert finished.stdout, finished.stderr[-5000:]
    assert finished.returncode == 0, finished.stdout[-5000:]
    return json.loads(finished.stdout)


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05) -> object:
    """Poll ``predicate`` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


class WorkerProcess:
    """A real ``manage.py rundramatiq`` subprocess."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, log: Path) -> None:
        command = [sys.executable, "manage.py", "rundramatiq", "--skip-logging", *args]
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SCALEJOBS_WORKER_OF_TESTS": "1"}
        environment.update(env or {})
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        """Signal the worker the way a container runtime does.

        SIGKILL takes the whole process group (the container dies); any other
        signal goes to the master only, as ``docker stop`` sends SIGTERM to PID 1,
        and the master forwards it to its worker processes once.
        """
        if signum == signal.SIGKILL:
            os.killpg(self.process.pid, signum)
        else:
            os.kill(self.process.pid, signum)

    def kill(self) -> int:
        """SIGKILL the whole process group at once and reap the master."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(10)
        self._log_file.close()
        return self.process.returncode

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM the worker and wait; SIGKILL its group if it overstays."""
        if self.process.poll() is None:
            try:
                self.signal(signal.SIGTERM)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.process.wait(5)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log_file.close()
        return self.process.returncode


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes; every one is stopped at teardown."""
    workers: list[WorkerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> WorkerProcess:
        worker = WorkerProcess(*args, env=env, log=tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    yield start
    # The test is over: nothing is left to drain, and Redis is flushed next.
    for worker in workers:
        worker.kill()
