"""No-op jobs of the unique_throttle and reliability scenarios: none, unique, Concurrency, and both."""

import scalejobs
from scalejobs import Concurrency

QUEUE = "bench"
# Never full: the benchmark measures the cost of taking and freeing a slot, not waiting for one.
SLOTS = Concurrency(10_000, key="bench")


@scalejobs.job(queue_name=QUEUE)
def plain(n: int) -> None:
    """Do nothing."""


@scalejobs.job(queue_name=QUEUE, unique_for=3600)
def unique(n: int) -> None:
    """Do nothing, holding a unique lock."""


@scalejobs.job(queue_name=QUEUE, throttle=SLOTS)
def concurrency(n: int) -> None:
    """Do nothing, holding a concurrency slot."""


@scalejobs.job(queue_name=QUEUE, unique_for=3600, throttle=SLOTS)
def both(n: int) -> None:
    """Do nothing, holding a unique lock and a concurrency slot."""
