"""Shared pieces of the benchmarks: a private Redis, workers, drain timing."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent


def start_redis() -> tuple[str, object | None]:
    """Return the Redis URL to benchmark against, starting Valkey unless REDIS_URL is set."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    sys.path.insert(0, str(ROOT))
    from scalejobs.testing.embedded_redis import start_embedded_redis

    embedded = start_embedded_redis()
    os.environ["REDIS_URL"] = embedded.url
    return embedded.url, embedded


def start_worker(settings: str, processes: int, threads: int, queues: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "manage.py", "rundramatiq", "--skip-logging", "--processes", str(processes), "--threads", str(threads), "--queues", *queues]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, **(env or {})}
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


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
