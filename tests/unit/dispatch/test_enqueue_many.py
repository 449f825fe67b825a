"""enqueue_many stores what a loop of enqueue stores, in one round trip per chunk, with every hook run per message."""

from __future__ import annotations

import json
import os

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker as PlainBroker
from dramatiq.middleware import MiddlewareError

from scalejobs.dispatch import RedisBroker
from scalejobs.dispatch.broker import BULK_CHUNK

from .conftest import QUEUE, message
from .test_scripts import snapshot


class Refused(MiddlewareError):
    """A veto the tests drop per message."""


class Broken(MiddlewareError):
    """A veto the tests do not drop."""


class Recorder(dramatiq.Middleware):
    """Refuse or break the messages whose token names it; record every hook call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        token = message.args[0]
        self.calls.append(("before", token))
        if token.startswith("refuse"):
            raise Refused(token)
        if token.startswith("break"):
            raise Broken(token)
        message.options["seen"] = True

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        self.calls.append(("after", message.args[0]))


def tokens(client: redis.Redis, queue: str = QUEUE) -> list[str]:
    """Return the args of the messages in ``queue``, in fetch order."""
    ids = client.lrange(f"dramatiq:{queue}", 0, -1)
    return [json.loads(client.hget(f"dramatiq:{queue}.msgs", redis_id))["args"][0] for redis_id in ids]


def test_a_batch_writes_what_a_loop_of_dramatiqs_enqueue_writes_plus_one_token(redis_db):
    url = os.environ["REDIS_URL"]
    push = RedisBroker(url=url, namespace="push", middleware=[])
    plain = PlainBroker(url=url, namespace="plain", middleware=[])
    push.enqueue_many([message("a"), message("b")])
    push.enqueue_many([message("c")], delay=60_000)
    for token in ("a", "b"):
        plain.enqueue(message(token))
    plain.enqueue(message("c"), delay=60_000)

    pushed = snapshot(redis_db, "push")
    assert pushed.pop("__wakeups__.work") == 1
    assert pushed.pop("__wakeups__.work.DQ") == 1
    assert pushed == snapshot(redis_db, "plain")


def test_messages_keep_their_order_and_get_fresh_redis_ids(push, redis_db):
    sent = push.enqueue_many([message(str(n)) for n in range(5)])

    assert tokens(redis_db) == ["0", "1", "2", "3", "4"]
    assert len({message.options["redis_message_id"] for message in sent}) == 5


def test_a_delayed_batch_goes_to_the_delay_queue_with_an_eta(push, redis_db):
    (sent,) = push.enqueue_many([message("later")], delay=30_000)

    assert sent.queue_name == f"{QUEUE}.DQ" and sent.options["eta"] > 0
    assert tokens(redis_db, f"{QUEUE}.DQ") == ["later"]


def test_messages_for_several_queues_each_reach_their_own(push, redis_db):
    push.enqueue_many([message("a"), message("b", queue_name="other"), message("c")])

    assert tokens(redis_db) == ["a", "c"]
    assert tokens(redis_db, "other") == ["b"]


def test_a_batch_larger_than_a_chunk_takes_one_round_trip_per_chunk(push, redis_db, round_trips):
    push.maintenance_chance = 0
    push.enqueue_many([message("warm")])  # loads the script
    before = round_trips["caller"]

    push.enqueue_many([message(str(n)) for n in range(BULK_CHUNK * 2 + 1)])

    assert round_trips["caller"] - before == 3
    assert len(tokens(redis_db)) == BULK_CHUNK * 2 + 2


def test_every_hook_runs_per_message_and_a_dropped_veto_drops_only_its_message(make_broker, redis_db):
    recorder = Recorder()
    push = make_broker()
    push.add_middleware(recorder)

    sent = push.enqueue_many([message("a"), message("refuse-b"), message("c")], drop=(Refused,))

    assert [None if item is None else item.args[0] for item in sent] == ["a", None, "c"]
    assert all(item.options["seen"] for item in sent if item is not None)
    assert tokens(redis_db) == ["a", "c"]
    assert sorted(recorder.calls) == sorted(
        [("before", "a"), ("before", "refuse-b"), ("before", "c"), ("after", "a"), ("after", "c")]
    )


def test_a_veto_not_dropped_raises_naming_its_message_and_nothing_is_sent(make_broker, redis_db):
    push = make_broker()
    push.add_middleware(Recorder())

    with pytest.raises(Broken) as raised:
        push.enqueue_many([message("a"), message("break-b"), message("c")], drop=(Refused,))

    assert raised.value.__notes__ == ["Raised for message 1 of the batch; no message of it was sent."]
    assert redis_db.llen(f"dramatiq:{QUEUE}") == 0


def test_a_batch_still_goes_through_after_redis_forgot_the_script(push, redis_db):
    push.enqueue_many([message("a")])
    redis_db.script_flush()

    push.enqueue_many([message("b"), message("c")])

    assert tokens(redis_db) == ["a", "b", "c"]


def test_an_empty_batch_sends_nothing(push, redis_db, round_trips):
    before = round_trips["caller"]

    assert push.enqueue_many([]) == []
    assert round_trips["caller"] == before
