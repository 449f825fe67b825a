"""Jobs the hot-path test runs in an in-process worker; each notes its run in memory, not in Redis."""

import scalejobs
from scalejobs import Concurrency

QUEUE = "hotpath"
# Filled by the jobs below; the test reads and clears it.
RAN: list[str] = []


@scalejobs.job(queue_name=QUEUE, max_retries=0)
def hot_plain(n: int) -> None:
    """Note the run."""
    RAN.append(f"plain-{n}")


@scalejobs.job(queue_name=QUEUE, max_retries=0, unique_for=600)
def hot_unique(n: int) -> None:
    """Note the run, holding a unique lock."""
    RAN.append(f"unique-{n}")


@scalejobs.job(queue_name=QUEUE, max_retries=0, throttle=Concurrency(1000, key="hotpath"))
def hot_concurrency(n: int) -> None:
    """Note the run, holding a concurrency slot."""
    RAN.append(f"concurrency-{n}")
