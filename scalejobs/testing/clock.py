"""A clock that tests move by hand; engines take any ``scalejobs.clock.Clock``."""

from __future__ import annotations


class FrozenClock:
    """A clock that moves only when told to; for tests and replays."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds
