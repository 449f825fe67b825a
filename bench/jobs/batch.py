"""No-op jobs of the batch scenario, and the callback that says a batch finished."""

import scalejobs
from scalejobs.store import redis_client

QUEUE = "bench"
DONE = "bench:batch:done"


@scalejobs.job(queue_name=QUEUE, actor_name="batch_noop")
def noop(n: int) -> None:
    """Do nothing."""


@scalejobs.job(queue_name=QUEUE, actor_name="batch_done")
def done(batch_id: str, status: dict) -> None:
    """Record that the batch finished."""
    redis_client().rpush(DONE, batch_id)
