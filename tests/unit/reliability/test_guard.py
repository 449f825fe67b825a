"""The delivery guard: what it records, poison messages, shutdowns, and retries that Redis refused."""

from __future__ import annotations

import dramatiq
import pytest
import redis
from dramatiq.broker import MessageProxy

from scalejobs.keys import KeySpace
from scalejobs.reliability import guard as guard_module
from scalejobs.reliability.deliveries import DeliveryLedger, running_value
from scalejobs.reliability.guard import DeliveryGuard, PoisonMessage

KEYS = KeySpace("test", "reliability")


@pytest.fixture
def ledger(redis_db):
    return DeliveryLedger(redis_db, KEYS)


def proxy(message_id: str = "m1", redis_id: str = "r1") -> MessageProxy:
    options = {"redis_message_id": redis_id}
    return MessageProxy(dramatiq.Message(queue_name="default", actor_name="boom", args=(), kwargs={}, options=options, message_id=message_id))


class RefusingBroker:
    """A broker whose Redis refuses the first ``refusals`` enqueues."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.sent: list[tuple[str, int | None]] = []

    def enqueue(self, message, *, delay=None):
        if self.refusals:
            self.refusals -= 1
            raise redis.ConnectionError("Connection refused")
        self.sent.append((message.message_id, delay))
        return message


def die_under(ledger: DeliveryLedger, message_id: str, times: int) -> None:
    for number in range(times):
        ledger.track(f"dead-{number}", [(f"r{number}", running_value(message_id, "boom", "default"))], [])
        ledger.bury(f"dead-{number}")


def test_a_running_delivery_is_recorded_for_this_process_and_dropped_at_its_ack(ledger, redis_db):
    guard = DeliveryGuard(ledger, broker_id="w1", max_deaths=3)
    message = proxy()
    guard.begin(message)
    guard.flush()
    assert redis_db.hgetall(KEYS("running", "w1")) == {b"r1": b"m1|boom|default"}
    guard.settled(message)
    guard.flush()
    assert redis_db.hgetall(KEYS("running", "w1")) == {}


def test_a_job_that_ends_before_its_start_is_sent_costs_no_write(ledger, redis_db):
    guard = DeliveryGuard(ledger, broker_id="w1", max_deaths=3)
    for number in range(50):
        message = proxy(f"m{number}", f"r{number}")
        guard.begin(message)
        guard.settled(message)
    guard.flush()
    assert redis_db.hgetall(KEYS("running", "w1")) == {}


def test_a_message_whose_workers_died_under_it_more_than_max_deaths_times_is_failed_and_skipped(ledger):
    die_under(ledger, "m1", 3)
    guard = DeliveryGuard(ledger, broker_id="w1", max_deaths=2)
    guard._poison = ledger.poison(2)  # what the refresher thread reads every second
    message = proxy()
    with pytest.raises(PoisonMessage, match=r"^boom: its worker died under it 3 times, more than .*MAX_DEATHS'\] = 2; dead-lettered"):
        guard.begin(message)
    assert message.failed
    assert [(poisoned.message_id, poisoned.deaths) for poisoned in ledger.poisoned()] == [("m1", 3)]
    assert ledger.endangered() == []  # a retry from the dead letters starts afresh


def test_the_refresher_learns_the_poisoned_messages(ledger):
    die_under(ledger, "m1", 2)
    guard = DeliveryGuard(ledger, broker_id="w1", max_deaths=1)
    guard.start()
    try:
        message = proxy()
        with pytest.raises(PoisonMessage):
            for _ in range(200):
                guard.begin(message)
                guard.settled(message)
                guard._stopping.wait(0.01)
    finally:
        guard.stop()


def test_a_job_running_when_the_worker_is_asked_to_stop_is_not_a_death(ledger):
    guard = DeliveryGuard(ledger, broker_id="w1", max_deaths=0)
    guard.begin(proxy())
    guard.stopping()  # handed back on shutdown, then the process exits
    assert ledger.bury("w1") == []


def test_a_retry_redis_refused_is_sent_once_redis_answers(ledger, monkeypatch):
    monkeypatch.setattr(guard_module, "RESEND_BACKOFF", 0.001)
    guard = DeliveryGuard(ledger, broker_id="w1", resend_retries=True)
    broker = RefusingBroker(refusals=3)
    message = proxy()
    guard.begin(message)
    guard.processed(broker, message, RuntimeError("Redis went away mid-job"))
    assert broker.sent == [("m1", guard_module.RESEND_DELAY_MS)]


def test_a_retry_that_reached_redis_is_not_sent_twice(ledger):
    guard = DeliveryGuard(ledger, broker_id="w1", resend_retries=True)
    broker = RefusingBroker(refusals=0)
    message = proxy()
    guard.begin(message)
    guard.enqueued(message)  # Retries' enqueue went through
    guard.processed(broker, message, RuntimeError("boom"))
    assert broker.sent == []


def test_a_failed_message_or_a_success_is_not_sent_again(ledger):
    guard = DeliveryGuard(ledger, broker_id="w1", resend_retries=True)
    broker = RefusingBroker(refusals=0)
    success, given_up = proxy("ok", "r1"), proxy("dead", "r2")
    guard.begin(success)
    guard.processed(broker, success, None)
    given_up.fail()
    guard.begin(given_up)
    guard.processed(broker, given_up, RuntimeError("last retry"))
    assert broker.sent == []


def test_without_redis_the_job_runs_unrecorded():
    dead = redis.Redis.from_url("unix:///nonexistent/scalejobs.sock")
    guard = DeliveryGuard(DeliveryLedger(dead, KEYS), broker_id="w1", max_deaths=0)
    message = proxy()
    guard.begin(message)
    guard.settled(message)
    guard.stop()
    assert not message.failed
