"""Jobs the dispatch system tests run in plain and push workers alike."""

import os
import time

import dramatiq
from dramatiq.common import current_millis

import scalejobs
from scalejobs.store import redis_client

DISPATCH_RAN = "tests:dispatch:ran"
DISPATCH_QUEUE = "dispatch"


@scalejobs.job(queue_name=DISPATCH_QUEUE, max_retries=0)
def dispatch_record(token: str, seconds: float = 0.0) -> None:
    """Record ``token``, the start time (ms), the pid and the broker's module, then sleep ``seconds``."""
    broker = type(dramatiq.get_broker()).__module__
    redis_client().rpush(DISPATCH_RAN, f"{token}|{current_millis()}|{os.getpid()}|{broker}")
    time.sleep(seconds)
