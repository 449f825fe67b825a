"""The job of the autoscaling simulation: sleep a while, and say when it started and that it finished.

Each attempt bumps its id's count in ``autoscale:starts`` and pushes how long
it waited (``"<start time> <seconds waited>"``) onto ``autoscale:waits``;
a finished one joins ``autoscale:done``. An attempt that started and never
finished was cut short; an id never done was lost.
"""

import time

import scalejobs
from scalejobs.store import redis_client

QUEUE = "autoscale"
STARTS = "autoscale:starts"
WAITS = "autoscale:waits"
DONE = "autoscale:done"


@scalejobs.job(queue_name=QUEUE, max_retries=3, time_limit=120_000)
def simulated_work(job_id: int, seconds: float, enqueued_at: float) -> None:
    """Sleep ``seconds``, recording the start and the end."""
    started = time.time()
    with redis_client().pipeline(transaction=False) as pipe:
        pipe.hincrby(STARTS, str(job_id), 1)
        pipe.rpush(WAITS, f"{started:.3f} {started - enqueued_at:.3f}")
        pipe.execute()
    time.sleep(seconds)
    redis_client().sadd(DONE, job_id)
