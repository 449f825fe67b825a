"""Drain a Dramatiq worker on SIGTERM within a budget, then hand back what still runs.

Dramatiq waits for running jobs up to ``--worker-shutdown-timeout``, 10
minutes unless the user passes a flag, far beyond ECS's ``stopTimeout``
(30 s by default, 120 s at most on Fargate); past ``stopTimeout`` ECS
SIGKILLs, and the killed jobs come back only after Redis's 60 s heartbeat
timeout and a random maintenance pass. ``ECSProtection`` runs ``drain`` in
``before_worker_shutdown``, the first thing ``Worker.stop`` does, so plain
``manage.py rundramatiq`` (or ``dramatiq``) drains with the budget from
``SCALEJOBS["PROTECTION"]["SHUTDOWN_BUDGET_SECONDS"]`` and no flag:

1. every worker thread is told to stop: it finishes its job and takes no
   other (consumers keep running, so Redis still sees the process alive);
2. the threads are joined for at most the budget;
3. the message of each thread still running is requeued at once, so another
   worker runs it from the start (a late ack of it is a no-op in the Redis
   broker), and those threads are dropped from ``worker.workers`` so
   ``Worker.stop`` does not wait for them; they die with the process.

``Worker.stop`` then requeues the prefetched messages that never started,
closes the consumers and the process exits 0.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, MutableMapping
from typing import Any

logger = logging.getLogger("scalejobs.protection")


def drain(worker: Any, budget: float, running: MutableMapping[int, Any], clock: Callable[[], float] = time.monotonic) -> list[Any]:
    """Let ``worker``'s jobs finish within ``budget`` seconds; requeue and return the rest.

    ``running`` maps a worker thread's ident to the message it is processing.
    """
    threads = list(worker.workers)
    for thread in threads:
        thread.stop()
    busy = sum(1 for thread in threads if thread.ident in running)
    if busy:
        logger.info("Draining: waiting up to %.0f s for %d running job(s).", budget, busy)
    deadline = clock() + budget
    for thread in threads:
        thread.join(max(0.0, deadline - clock()))
    late = [thread for thread in threads if thread.is_alive()]
    handed_back = []
    for thread in late:
        # Pop, not get: a thread still waiting for its claim hands its message back itself,
        # and whichever side takes it from ``running`` first is the only one to send it back.
        message = running.pop(thread.ident, None)
        if message is None:
            continue
        try:
            worker.consumers[message.queue_name].requeue_messages([message])
        except Exception:
            logger.exception("Could not requeue message %s; Redis will redeliver it after its heartbeat timeout.", message.message_id)
            continue
        handed_back.append(message)
    if late:
        worker.workers[:] = [thread for thread in worker.workers if thread not in late]
    if handed_back:
        logger.warning(
            "Shutdown budget of %.0f s spent; handed back %d running job(s) to run again elsewhere: %s.",
            budget,
            len(handed_back),
            ", ".join(f"{message.actor_name} {message.message_id}" for message in handed_back),
        )
    return handed_back
