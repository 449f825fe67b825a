"""Jobs the batch tests run in real workers; each records what it did in Redis."""

import json
import time

from dramatiq.middleware import CurrentMessage

import scalejobs
from scalejobs.store import redis_client

RAN = "tests:batch:ran"
CALLBACKS = "tests:batch:callbacks"
ATTEMPTS = "tests:batch:attempts"


def callbacks(batch_id: str | None = None) -> list[tuple[str, str, dict, str]]:
    """Return ``(kind, batch id, status, message id)`` of every callback run, in order."""
    found = []
    for raw in redis_client().lrange(CALLBACKS, 0, -1):
        kind, batch, message_id, status = raw.decode().split("|", 3)
        if batch_id is None or batch == batch_id:
            found.append((kind, batch, json.loads(status), message_id))
    return found


def _callback(kind: str, batch_id: str, status: dict) -> None:
    message = CurrentMessage.get_current_message()
    message_id = "" if message is None else message.message_id
    redis_client().rpush(CALLBACKS, f"{kind}|{batch_id}|{message_id}|{json.dumps(status)}")


@scalejobs.job(queue_name="batch", max_retries=3)
def on_success(batch_id: str, status: dict) -> None:
    """Record that the batch succeeded."""
    _callback("success", batch_id, status)


@scalejobs.job(queue_name="batch", max_retries=3)
def on_complete(batch_id: str, status: dict) -> None:
    """Record that the batch completed."""
    _callback("complete", batch_id, status)


@scalejobs.job(queue_name="batch", max_retries=3)
def on_death(batch_id: str, status: dict) -> None:
    """Record that a job of the batch died."""
    _callback("death", batch_id, status)


@scalejobs.job(queue_name="batch", max_retries=2, min_backoff=10, max_backoff=100)
def row(token: str, fail_times: int = 0, seconds: float = 0.0) -> None:
    """Take ``seconds``, fail the first ``fail_times`` attempts (for good if more than the retries), then record ``token``."""
    if seconds:
        time.sleep(seconds)
    attempts = redis_client().hincrby(ATTEMPTS, token, 1)
    if attempts <= fail_times:
        raise RuntimeError(f"row {token}: attempt {attempts} fails on purpose")
    redis_client().sadd(RAN, token)


@scalejobs.job(queue_name="batch", max_retries=0)
def fan_out(prefix: str, count: int) -> None:
    """Add ``count`` rows to this job's own batch, then record ``prefix``."""
    batch = scalejobs.Batch.current()
    assert batch is not None, "fan_out runs in a batch"
    for index in range(count):
        batch.add(row, f"{prefix}-{index}")
    redis_client().sadd(RAN, prefix)


@scalejobs.job(queue_name="batch", max_retries=0)
def nest(prefix: str, count: int) -> None:
    """Open a child batch of this job's batch with ``count`` rows."""
    with scalejobs.Batch.current():
        with scalejobs.Batch(f"child of {prefix}", on_complete=on_complete):
            row.perform_bulk([(f"{prefix}-{index}",) for index in range(count)])
    redis_client().sadd(RAN, prefix)
