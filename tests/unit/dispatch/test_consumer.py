"""An idle consumer wakes on enqueue; a busy one fetches in batches; delayed messages come due on time.

A consumer's ``next()`` is called from a helper thread where it would block,
as Dramatiq's consumer thread calls it. Waits far longer than the test's own
deadline (``LONG``) show that a wake-up came from a token, not from a poll.
"""

from __future__ import annotations

import json
import os
import threading

import redis
from dramatiq.common import current_millis, dq_name
from dramatiq.errors import ConnectionClosed

from tests.conftest import wait_for

from .conftest import QUEUE, message

LONG = 15_000  # ms: the longest poll interval the default heartbeat timeout allows


class Next(threading.Thread):
    """Call ``next(consumer)`` once in the background."""

    def __init__(self, consumer):
        super().__init__(daemon=True)
        self.consumer = consumer
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = next(self.consumer)
        except ConnectionClosed as error:
            self.error = error

    def outcome(self, timeout: float = 10.0):
        self.join(timeout)
        assert not self.is_alive(), "next() did not return"
        return self.result


def args(proxy) -> list:
    return list(proxy.args)


def test_an_idle_consumer_wakes_on_enqueue_without_waiting_for_its_poll(make_broker):
    worker = make_broker(poll_interval=LONG)
    consumer = worker.consume(QUEUE, prefetch=2, timeout=LONG * 2)
    waiting = Next(consumer)
    waiting.start()
    wait_for(lambda: consumer._waiter is not None and consumer._waiter.pending)

    make_broker().enqueue(message("wake"))

    assert args(waiting.outcome()) == ["wake"]


def test_next_returns_at_the_worker_timeout_while_the_pop_stays_outstanding(make_broker):
    worker = make_broker(poll_interval=LONG)
    consumer = worker.consume(QUEUE, prefetch=2, timeout=50)

    assert next(consumer) is None
    assert consumer._waiter.pending
    worker.enqueue(message("after"))

    assert args(wait_for(lambda: next(consumer))) == ["after"]


def test_an_idle_consumer_polls_for_messages_that_came_without_a_token(make_broker, plain):
    consumer = make_broker(poll_interval=100).consume(QUEUE, prefetch=2, timeout=50)
    assert next(consumer) is None

    plain.enqueue(message("plain"))

    assert args(wait_for(lambda: next(consumer))) == ["plain"]


def test_a_plain_dramatiq_consumer_takes_messages_from_a_push_producer(push, plain):
    push.enqueue(message("pushed"))
    consumer = plain.consume(QUEUE, prefetch=1, timeout=50)

    received = wait_for(lambda: next(consumer))
    consumer.ack(received)

    assert args(received) == ["pushed"]
    assert plain.do_qsize(QUEUE) == 0


def test_a_blocked_consumer_holds_no_connection_of_the_brokers_pool(make_broker, redis_db):
    # One connection, shared by turns: a waiter holding it would make the enqueue time out.
    pool = redis.BlockingConnectionPool.from_url(os.environ["REDIS_URL"], max_connections=1, timeout=5)
    worker = make_broker(url=None, connection_pool=pool, poll_interval=LONG)
    consumer = worker.consume(QUEUE, prefetch=2, timeout=LONG * 2)
    waiting = Next(consumer)
    waiting.start()
    wait_for(lambda: consumer._waiter is not None and consumer._waiter.pending)

    worker.enqueue(message("through the pool"))
    received = waiting.outcome()
    consumer.ack(received)
    consumer.close()  # sends the ack it noted

    assert args(received) == ["through the pool"]
    assert worker.do_qsize(QUEUE) == 0


def busy_consumer(push, prefetch=4):
    """Return a consumer holding its full prefetch of a ten-message queue, and the messages it holds."""
    for token in range(10):
        push.enqueue(message(str(token)))
    consumer = push.consume(QUEUE, prefetch=prefetch, timeout=50)
    return consumer, [next(consumer) for _ in range(prefetch)]


def test_a_busy_consumer_waits_for_acks_instead_of_polling(push, redis_db):
    consumer, _ = busy_consumer(push)

    assert next(consumer) is None
    assert redis_db.llen(push.push.keys.queue(QUEUE)) == 6


def test_a_busy_consumer_fetches_a_batch_once_half_its_prefetch_is_acked(push, redis_db):
    consumer, taken = busy_consumer(push)

    consumer.ack(taken[0])
    consumer.ack(taken[1])

    assert [args(next(consumer)), args(next(consumer))] == [["4"], ["5"]]
    assert redis_db.llen(push.push.keys.queue(QUEUE)) == 4


def test_a_busy_consumer_refills_a_single_free_slot_after_a_short_pause(push, redis_db):
    consumer, taken = busy_consumer(push)

    consumer.ack(taken[0])

    assert args(next(consumer)) == ["4"]
    assert redis_db.llen(push.push.keys.queue(QUEUE)) == 5


def test_a_delayed_message_comes_due_at_its_eta_and_not_before(make_broker):
    worker = make_broker(poll_interval=LONG)
    sent = worker.enqueue(message("delayed"), delay=300)
    consumer = worker.consume(dq_name(QUEUE), prefetch=10, timeout=LONG * 2)
    held = wait_for(lambda: next(consumer))
    assert held.options["eta"] == sent.options["eta"]

    due = Next(consumer)
    due.start()

    assert due.outcome() is None
    assert current_millis() >= sent.options["eta"]


def test_a_delayed_message_reported_due_and_kept_is_not_reported_again(make_broker):
    worker = make_broker(poll_interval=LONG)
    worker.enqueue(message("kept"), delay=0)
    consumer = worker.consume(dq_name(QUEUE), prefetch=10, timeout=200)
    wait_for(lambda: next(consumer))

    assert next(consumer) is None
    assert consumer._eta_heap
    assert next(consumer) is None
    assert not consumer._eta_heap


def test_closing_a_consumer_passes_on_a_token_it_popped_but_never_used(make_broker, redis_db):
    worker = make_broker(poll_interval=LONG)
    consumer = worker.consume(QUEUE, prefetch=2, timeout=50)
    assert next(consumer) is None
    worker.enqueue(message("a"))
    wait_for(lambda: redis_db.llen(worker.push.wakeup_key(QUEUE)) == 0)

    consumer.close()

    assert redis_db.llen(worker.push.wakeup_key(QUEUE)) == 1


def test_a_consumer_requeues_what_it_fetched_and_did_not_run(push, redis_db):
    for token in ("a", "b"):
        push.enqueue(message(token))
    consumer = push.consume(QUEUE, prefetch=2, timeout=50)
    taken = [next(consumer), next(consumer)]

    consumer.requeue(taken)

    queued = redis_db.lrange(push.push.keys.queue(QUEUE), 0, -1)
    assert queued == [proxy.options["redis_message_id"].encode() for proxy in taken]
    assert consumer.outstanding_message_count == 0
    assert [json.loads(data)["args"] for data in push.do_fetch(QUEUE, 2)] == [["a"], ["b"]]


def test_closing_a_consumer_puts_back_fetched_messages_it_never_handed_out(push, redis_db):
    for token in ("a", "b", "c"):
        push.enqueue(message(token))
    consumer = push.consume(QUEUE, prefetch=3, timeout=50)
    handed_out = next(consumer)

    consumer.close()

    assert args(handed_out) == ["a"]
    assert redis_db.llen(push.push.keys.queue(QUEUE)) == 2
    assert redis_db.smembers(push.push.keys.acks(push.broker_id, QUEUE)) == {handed_out.options["redis_message_id"].encode()}


def test_a_dropped_waiting_connection_raises_the_error_dramatiqs_consumer_thread_restarts_on(make_broker, redis_db):
    consumer = make_broker(poll_interval=LONG).consume(QUEUE, prefetch=2, timeout=LONG * 2)
    waiting = Next(consumer)
    waiting.start()
    wait_for(lambda: consumer._waiter is not None and consumer._waiter.pending)
    blocked = [client["id"] for client in redis_db.client_list() if client["cmd"] == "blpop"]

    redis_db.client_kill_filter(_id=blocked[0])
    waiting.join(10)

    assert isinstance(waiting.error, ConnectionClosed)
    assert not consumer._waiter.pending


def acked_count(push, redis_db) -> int:
    """Return how many of the consumer's fetched messages are still in its ack set."""
    return redis_db.scard(push.push.keys.acks(push.broker_id, QUEUE))


def test_a_busy_consumer_sends_the_acks_of_finished_messages_with_its_next_fetch(push, redis_db, round_trips):
    consumer, taken = busy_consumer(push)
    round_trips.clear()
    consumer.ack(taken[0])
    consumer.ack(taken[1])
    assert round_trips["caller"] == 0, "an ack of a busy consumer made its own round trip"

    next(consumer)

    assert round_trips["caller"] == 1
    assert acked_count(push, redis_db) == 4  # two acked, two fetched
    assert not {proxy.options["redis_message_id"].encode() for proxy in taken[:2]} & redis_db.smembers(push.push.keys.acks(push.broker_id, QUEUE))
    assert redis_db.hlen(f"dramatiq:{QUEUE}.msgs") == 8


def test_an_idle_consumer_acks_at_once(push, redis_db):
    push.enqueue(message("a"))
    consumer = push.consume(QUEUE, prefetch=4, timeout=50)
    taken = next(consumer)
    assert next(consumer) is None  # the queue is empty: idle

    consumer.ack(taken)

    assert acked_count(push, redis_db) == 0
    assert redis_db.hlen(f"dramatiq:{QUEUE}.msgs") == 0


def test_closing_a_consumer_sends_the_acks_it_noted(push, redis_db):
    consumer, taken = busy_consumer(push)
    for proxy in taken:
        consumer.ack(proxy)

    consumer.close()

    assert acked_count(push, redis_db) == 0
    assert redis_db.hlen(f"dramatiq:{QUEUE}.msgs") == 6


def test_a_noted_ack_never_sent_leaves_its_message_in_the_ack_set_for_redelivery(make_broker, redis_db):
    crashed = make_broker(heartbeat_timeout=1000, poll_interval=250)
    consumer, taken = busy_consumer(crashed)
    consumer.ack(taken[0])  # noted, then the process dies before the next fetch

    survivor = make_broker(heartbeat_timeout=1000, poll_interval=250)
    redis_db.zadd("dramatiq:__heartbeats__", {crashed.broker_id: 0})  # its heartbeat has long expired
    survivor._dramatiq_dispatch("fetch", QUEUE, 0)  # Dramatiq's maintenance pass

    assert acked_count(crashed, redis_db) == 0
    assert redis_db.llen(f"dramatiq:{QUEUE}") == 10
    assert redis_db.hlen(f"dramatiq:{QUEUE}.msgs") == 10
