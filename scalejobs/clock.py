"""Clocks that engines take as arguments, so tests can hold time still."""

from __future__ import annotations

import time
from typing import Any, Protocol


class Clock(Protocol):
    """Tell the time in seconds since the epoch."""

    def __call__(self) -> float: ...


def system_clock() -> float:
    """Return this machine's wall-clock time in seconds."""
    return time.time()


class RedisClock:
    """Tell the time by Redis ``TIME``, so every machine reads the same clock."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self) -> float:
        seconds, microseconds = self.client.time()
        return float(seconds + microseconds / 1_000_000)
