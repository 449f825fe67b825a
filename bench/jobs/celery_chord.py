"""The Celery side of the batch scenario: a chord of no-op tasks on Celery's Redis broker and result backend.

Run by the batch scenario as ``celery -A bench.jobs.celery_chord worker``; a chord
needs a result backend, so results are kept (in the same Redis).
"""

from celery import Celery

from bench.jobs.celery_app import broker_url, client

QUEUE = "bench"
DONE = "bench:chord:done"

app = Celery("bench_chord", broker=broker_url(), backend=broker_url())
app.conf.update(task_default_queue=QUEUE, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@app.task(name="bench.chord.noop")
def noop(n: int) -> None:
    """Do nothing: a job of the chord's header."""


@app.task(name="bench.chord.done")
def done(results: list[None]) -> None:
    """Record that the chord finished, with how many results it joined."""
    client().rpush(DONE, len(results))
