"""The hot-path budget, counted in Redis round trips (never in time).

With ``DEFAULT_STACK`` and no job options, a job costs the worker thread
that runs it no round trip beyond what Dramatiq's own stack costs (the
ack), and none at all while its consumer is busy (the ack rides on the
consumer's next fetch); each option adds at most one, where it applies: ``unique_for`` none
(on the dispatch broker the lock is taken by the script that enqueues the
message, and its release is batched off the worker thread), ``Concurrency``
one at start (none when the thread's last job passes its slot on).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker as PlainBroker

from tests.conftest import wait_for
from tests.testapp.performance_tasks import QUEUE, RAN, hot_concurrency, hot_plain, hot_unique

JOBS = 40
WARMUP = 5
BACKLOG = 200


@pytest.fixture
def run_jobs(
    redis_db: redis.Redis, round_trips: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[dramatiq.Broker, Callable[[int], object]], tuple[float, float]]]:
    """Return a runner: warm a one-thread in-process worker up, then enqueue and run ``JOBS`` jobs; per-job round trips."""
    workers: list[dramatiq.Worker] = []

    def run(broker: dramatiq.Broker, send: Callable[[int], object]) -> tuple[float, float]:
        # Dramatiq's maintenance pass (1 enqueue in 100) costs the push broker a second round trip
        # for its wake-up token; it is the same pass for every stack, so it stays out of the count.
        monkeypatch.setattr(broker, "maintenance_chance", 0)
        worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1, worker_timeout=100)
        workers.append(worker)
        worker.start()
        RAN.clear()
        for number in range(WARMUP):
            send(-number - 1)
        wait_for(lambda: len(RAN) == WARMUP and _settled(redis_db), timeout=30)
        round_trips.clear()
        for number in range(JOBS):
            send(number)
        enqueue = round_trips["caller"] / JOBS
        wait_for(lambda: len(RAN) == WARMUP + JOBS and _settled(redis_db), timeout=30)
        worker.stop()
        return enqueue, round_trips["worker"] / JOBS

    yield run
    for worker in workers:
        worker.stop()


def _settled(client: redis.Redis) -> bool:
    """Whether every message of the queue was acked."""
    return not client.llen(f"dramatiq:{QUEUE}") and not any(
        client.scard(key) for key in client.scan_iter(match=f"dramatiq:__acks__.*.{QUEUE}")
    )


@pytest.fixture
def baseline(run_jobs) -> tuple[float, float]:
    """Round trips per job of Dramatiq's own broker and default middleware: one enqueue, one ack."""
    plain = PlainBroker(url=os.environ["REDIS_URL"])
    actor = dramatiq.actor(hot_plain.fn, broker=plain, actor_name="hot_plain", queue_name=QUEUE, max_retries=0)
    enqueue, process = run_jobs(plain, actor.send)
    plain.close()
    return enqueue, process


@pytest.mark.usefixtures("broker")
def test_default_stack_costs_no_round_trip_beyond_dramatiqs_own(run_jobs, baseline):
    enqueue, process = run_jobs(dramatiq.get_broker(), hot_plain.perform_later)
    assert baseline == (1, 1)
    assert enqueue == baseline[0]
    # Jobs sent one at a time often find the consumer idle, when acks go at once.
    assert process <= baseline[1]


@pytest.mark.usefixtures("broker")
def test_the_acks_of_a_backlog_ride_on_the_consumers_fetches(redis_db, round_trips, monkeypatch):
    broker = dramatiq.get_broker()
    monkeypatch.setattr(broker, "maintenance_chance", 0)
    RAN.clear()
    broker.enqueue_many([hot_plain.message(number) for number in range(BACKLOG)])
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=4, worker_timeout=100)
    round_trips.clear()
    worker.start()
    try:
        wait_for(lambda: len(RAN) == BACKLOG and _settled(redis_db), timeout=60)
    finally:
        worker.stop()

    # Dramatiq's worker threads ack each job in a round trip of its own: BACKLOG in all.
    # Here only the acks of the last fetch, sent once the queue ran dry, may go one by one.
    assert round_trips["worker"] <= 2 * 4
    # Each fetch carries the acks of half the prefetch (2 x 4 threads) or more.
    assert round_trips["consumer"] <= BACKLOG / 2


@pytest.mark.usefixtures("broker")
def test_unique_for_takes_its_lock_in_the_enqueue_round_trip_and_adds_none_at_run(run_jobs, baseline, redis_db):
    enqueue, process = run_jobs(dramatiq.get_broker(), hot_unique.perform_later)
    assert enqueue == baseline[0]
    assert process <= baseline[1]


@pytest.mark.usefixtures("broker")
def test_a_unique_send_and_its_refused_duplicate_cost_one_round_trip_each(redis_db, round_trips, monkeypatch):
    monkeypatch.setattr(dramatiq.get_broker(), "maintenance_chance", 0)
    hot_unique.perform_later(-1)  # loads the script
    round_trips.clear()

    sent = hot_unique.perform_later(7)
    assert round_trips["caller"] == 1
    assert hot_unique.perform_later(7) is None
    assert round_trips["caller"] == 2
    assert redis_db.llen(f"dramatiq:{QUEUE}") == 2
    assert redis_db.hget(f"scalejobs:unique:lock:{sent.options['scalejobs_unique']}", "owner").decode() == sent.message_id


@pytest.mark.usefixtures("broker")
def test_a_concurrency_limit_adds_at_most_one_round_trip_at_run(run_jobs, baseline):
    enqueue, process = run_jobs(dramatiq.get_broker(), hot_concurrency.perform_later)
    assert enqueue == baseline[0]
    assert process <= baseline[1] + 1


@pytest.mark.usefixtures("broker")
def test_ecs_protection_adds_at_most_one_round_trip_at_run(run_jobs, baseline, settings, monkeypatch):
    from scalejobs.testing.ecs_agent import FakeAgent

    agent = FakeAgent().start()
    try:
        for name, value in agent.environ().items():
            monkeypatch.setenv(name, value)
        settings.SCALEJOBS = {**settings.SCALEJOBS, "PROTECTION": {"ENABLED": True}}
        enqueue, process = run_jobs(dramatiq.get_broker(), hot_plain.perform_later)
        assert agent.puts(), "protection was never claimed"
    finally:
        agent.stop()
    assert enqueue == baseline[0]
    assert process <= baseline[1] + 1
