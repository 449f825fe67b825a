"""Race one unique job from many threads of one process; run as ``python -m tests.system.unique_race``.

Arguments: job name (in ``tests.testapp.unique_tasks``), token, threads. Each
process sets itself up, counts itself in ``tests:race:ready``, waits for
``tests:race:go``, then every thread calls ``perform_later`` at once. Prints
``sent refused`` counts.
"""

import os
import sys
import threading
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from scalejobs.store import redis_client
    from tests.testapp import unique_tasks

    job, token, threads = getattr(unique_tasks, sys.argv[1]), sys.argv[2], int(sys.argv[3])
    results: list[bool] = []
    barrier = threading.Barrier(threads)

    def enqueue() -> None:
        barrier.wait()
        results.append(job.perform_later(token) is not None)

    workers = [threading.Thread(target=enqueue) for _ in range(threads)]
    client = redis_client()
    client.ping()
    client.incr("tests:race:ready")
    deadline = time.monotonic() + 60
    while not client.exists("tests:race:go"):
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.005)
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(results.count(True), results.count(False))


if __name__ == "__main__":
    main()
