"""What every scenario shares: the run's Redis, workers, drain timing, CPU and memory sampling."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench.overrides import ENVIRONMENT, Overrides, current, encode, merge

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SETTINGS = "bench.settings"


@dataclass(frozen=True, kw_only=True)
class Bench:
    """What the runner hands a scenario: its options, the Redis of the run, where the report goes."""

    name: str
    options: argparse.Namespace
    url: str
    embedded: bool
    client: redis.Redis
    report: Path

    @property
    def server(self) -> str:
        """Name the Redis of the run, for the report's first line."""
        return "embedded Valkey" if self.embedded else self.url

    @property
    def command(self) -> str:
        """Return the command that ran this scenario, quick or not, for the report."""
        return f"python -m bench {self.name}" + (" --quick" if self.options.quick else "")


def start_redis(url: str | None = None) -> tuple[str, Any]:
    """Return the Redis URL to benchmark against and the embedded server started for it, if any.

    ``url`` (or ``$REDIS_URL``) names a server to use; without one an embedded
    Valkey starts. Workers find the URL in ``$REDIS_URL``.
    """
    url = url or os.environ.get("REDIS_URL")
    if url:
        os.environ["REDIS_URL"] = url
        return url, None
    sys.path.insert(0, str(ROOT))
    from scalejobs.testing.embedded_redis import start_embedded_redis

    embedded = start_embedded_redis()
    os.environ["REDIS_URL"] = embedded.url
    return embedded.url, embedded


def worker_environment(overrides: Overrides | None = None, env: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a worker on ``bench.settings``: this process's overrides, then ``overrides``."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, ENVIRONMENT: encode(merge(current(), overrides or {})), **(env or {})}


def start_worker(
    processes: int, threads: int, queues: list[str], overrides: Overrides | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``manage.py rundramatiq`` on ``bench.settings`` with the scenario's overrides, and ``overrides`` on top."""
    command = [sys.executable, "manage.py", "rundramatiq", "--skip-logging", "--processes", str(processes), "--threads", str(threads), "--queues", *queues]
    return subprocess.Popen(
        command, cwd=ROOT, env=worker_environment(overrides, env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def stop_and_measure(worker: subprocess.Popen[bytes]) -> float:
    """SIGTERM the worker and return the CPU seconds it and its reaped children used."""
    os.killpg(worker.pid, signal.SIGTERM)
    _, _, usage = os.wait4(worker.pid, 0)
    worker.returncode = 0
    return usage.ru_utime + usage.ru_stime


def empty_run_cpu(client: redis.Redis, queue: str, overrides: Overrides | None = None) -> float:
    """Return the CPU seconds of a 2 x 8 worker that boots, finds nothing to do, and stops."""
    client.flushdb()
    worker = start_worker(2, 8, [queue], overrides)
    # Booted once both processes have made their first broker call (a heartbeat).
    deadline = time.monotonic() + 120
    while client.zcard("dramatiq:__heartbeats__") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    return stop_and_measure(worker)


def redis_cpu(client: redis.Redis) -> float:
    """Return the CPU seconds the Redis server has used so far."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def spawn(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a worker of another system (Celery, RQ) in its own session, silenced."""
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def interleaved(names: list[str], round_number: int) -> list[str]:
    """Return ``names`` in order on even rounds and reversed on odd ones, so drift falls on each alike."""
    return list(names) if round_number % 2 == 0 else list(reversed(names))


def unacked(client: redis.Redis, queue: str) -> int:
    return sum(client.scard(key) for key in client.scan_iter(match=f"dramatiq:__acks__.*.{queue}", count=1000))


def time_drain(client: redis.Redis, queue: str, total: int, timeout: float = 600.0) -> float:
    """Return seconds from the first message taken until all ``total`` are processed and acked."""
    key = f"dramatiq:{queue}"
    deadline = time.monotonic() + timeout
    while client.llen(key) >= total:
        if time.monotonic() > deadline:
            raise TimeoutError("the worker never started consuming")
        time.sleep(0.002)
    started = time.perf_counter()
    while client.llen(key) or unacked(client, queue):
        if time.monotonic() > deadline:
            raise TimeoutError("the queue did not drain")
        time.sleep(0.01)
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def time_until_drained(queued: Callable[[], int], in_flight: Callable[[], int], total: int, timeout: float = 900.0) -> float:
    """Return seconds from the first of ``total`` queued jobs taken until none is queued or in flight."""
    deadline = time.monotonic() + timeout
    while queued() >= total:
        if time.monotonic() > deadline:
            raise TimeoutError("the workers never started consuming")
        time.sleep(0.002)
    started = time.perf_counter()
    while queued() or in_flight():
        if time.monotonic() > deadline:
            raise TimeoutError("the queue did not drain")
        time.sleep(0.01)
    return time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    """Return the user + system CPU seconds used so far by every live process of the trees rooted at ``pids``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in pids:
        for pid in _tree(root):
            try:
                # Fields 14 and 15 (utime, stime), counted after the ")" that ends the command name.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def drain_cost(queued: Callable[[], int], in_flight: Callable[[], int], total: int, pids: list[int], timeout: float = 900.0) -> tuple[float, float]:
    """Like ``time_until_drained``; return the seconds and the CPU seconds the worker trees of ``pids`` used meanwhile."""
    deadline = time.monotonic() + timeout
    while queued() >= total:
        if time.monotonic() > deadline:
            raise TimeoutError("the workers never started consuming")
        time.sleep(0.002)
    started, cpu = time.perf_counter(), cpu_seconds(pids)
    while queued() or in_flight():
        if time.monotonic() > deadline:
            raise TimeoutError("the queue did not drain")
        time.sleep(0.01)
    return time.perf_counter() - started, cpu_seconds(pids) - cpu


class PeakMemory:
    """Sample, from a thread, the summed RSS of the process trees rooted at some pids; keep the peak.

    Shared pages (a forked child's copy-on-write memory) count once per
    process, as ``ps`` shows them: an upper bound of what the tree holds.
    """

    INTERVAL = 0.1

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
        self._thread.start()

    def stop(self) -> int:
        """Stop sampling; return the peak in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self.peak = max(self.peak, sum(_rss(pid) for root in self.pids for pid in _tree(root)))


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
