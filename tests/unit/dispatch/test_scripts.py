"""The enqueue, fetch and wake scripts keep Dramatiq's keys and add one wake-up token."""

from __future__ import annotations

import json
import os
from importlib import resources

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker as PlainBroker

from scalejobs.dispatch import RedisBroker

from .conftest import QUEUE, message


def snapshot(client: redis.Redis, namespace: str) -> dict[str, object]:
    """Return every key under ``namespace`` with its content, minus broker ids and times."""
    found: dict[str, object] = {}
    for key in sorted(client.scan_iter(match=f"{namespace}:*")):
        name = key.decode().removeprefix(f"{namespace}:")
        kind = client.type(key).decode()
        if kind == "list":
            found[name] = len(client.lrange(key, 0, -1))
        elif kind == "hash":
            found[name] = sorted(json.loads(value)["args"][0] for value in client.hvals(key))
        elif kind == "zset":
            found[name] = client.zcard(key)
        else:
            found[name] = kind
    return found


def test_an_enqueue_writes_what_dramatiq_writes_plus_one_wakeup_token(redis_db):
    url = os.environ["REDIS_URL"]
    push = RedisBroker(url=url, namespace="push", middleware=[])
    plain = PlainBroker(url=url, namespace="plain", middleware=[])
    for broker in (push, plain):
        broker.enqueue(message("now"))
        broker.enqueue(message("later"), delay=60_000)

    pushed = snapshot(redis_db, "push")
    assert pushed.pop("__wakeups__.work") == 1
    assert pushed.pop("__wakeups__.work.DQ") == 1
    assert pushed == snapshot(redis_db, "plain")
    assert pushed == {"__heartbeats__": 1, "work": 1, "work.msgs": ["now"], "work.DQ": 1, "work.DQ.msgs": ["later"]}


def test_a_second_enqueue_leaves_no_second_token(push, redis_db):
    for token in ("a", "b", "c"):
        push.enqueue(message(token))

    assert redis_db.llen(push.push.wakeup_key(QUEUE)) == 1
    assert redis_db.llen(push.push.keys.queue(QUEUE)) == 3


def test_a_fetch_moves_messages_in_order_into_this_brokers_ack_set(push, redis_db):
    sent = [push.enqueue(message(token)) for token in ("a", "b", "c")]

    fetched = push.do_fetch(QUEUE, 2)

    assert [json.loads(data)["args"] for data in fetched] == [["a"], ["b"]]
    acks = redis_db.smembers(push.push.keys.acks(push.broker_id, QUEUE))
    assert acks == {message.options["redis_message_id"].encode() for message in sent[:2]}
    assert redis_db.zscore(push.push.keys.heartbeats, push.broker_id) is not None


def test_a_fetch_that_leaves_messages_behind_passes_a_token_on(push, redis_db):
    for token in ("a", "b", "c"):
        push.enqueue(message(token))
    redis_db.delete(push.push.wakeup_key(QUEUE))

    push.do_fetch(QUEUE, 2)

    assert redis_db.llen(push.push.wakeup_key(QUEUE)) == 1


def test_a_fetch_that_empties_the_queue_leaves_no_token(push, redis_db):
    push.enqueue(message("a"))
    redis_db.delete(push.push.wakeup_key(QUEUE))

    assert len(push.do_fetch(QUEUE, 5)) == 1
    assert push.do_fetch(QUEUE, 5) == []
    assert redis_db.llen(push.push.wakeup_key(QUEUE)) == 0


def test_wake_leaves_a_token_only_for_a_queue_that_holds_messages(push, redis_db):
    assert push.wake(QUEUE) is False
    push.enqueue(message("a"))
    redis_db.delete(push.push.wakeup_key(QUEUE))

    assert push.wake(QUEUE) is True
    assert push.wake(QUEUE) is False
    assert redis_db.llen(push.push.wakeup_key(QUEUE)) == 1


def test_requeue_puts_fetched_messages_back_and_leaves_a_token(push, redis_db):
    sent = push.enqueue(message("a"))
    push.do_fetch(QUEUE, 1)
    redis_db.delete(push.push.wakeup_key(QUEUE))

    push.do_requeue(QUEUE, sent.options["redis_message_id"])

    assert redis_db.lrange(push.push.keys.queue(QUEUE), 0, -1) == [sent.options["redis_message_id"].encode()]
    assert redis_db.scard(push.push.keys.acks(push.broker_id, QUEUE)) == 0
    assert redis_db.llen(push.push.wakeup_key(QUEUE)) == 1


def test_the_maintenance_pass_still_returns_a_dead_workers_messages_and_wakes_a_consumer(make_broker, redis_db):
    dead = make_broker()
    sent = dead.enqueue(message("orphan"))
    dead.do_fetch(QUEUE, 1)
    redis_db.zadd(dead.push.keys.heartbeats, {dead.broker_id: 0})
    redis_db.delete(dead.push.wakeup_key(QUEUE))
    always = make_broker(maintenance_chance=1_000_000)

    always.enqueue(message("fresh"))
    fetched = always.do_fetch(QUEUE, 5)

    assert [json.loads(data)["args"] for data in fetched] == [["orphan"], ["fresh"]]
    assert redis_db.exists(dead.push.keys.acks(dead.broker_id, QUEUE)) == 0
    assert sent.options["redis_message_id"].encode() in redis_db.smembers(always.push.keys.acks(always.broker_id, QUEUE))


def test_the_poll_interval_must_keep_an_idle_workers_heartbeat_fresh():
    with pytest.raises(ValueError, match=r"poll_interval must be an int of milliseconds in 1\.\.15000, got 20000\."):
        RedisBroker(url=os.environ["REDIS_URL"], poll_interval=20_000)
    with pytest.raises(ValueError, match="got 0"):
        RedisBroker(url=os.environ["REDIS_URL"], poll_interval=0)


def test_every_script_ships_inside_the_package():
    scripts = resources.files("scalejobs.dispatch").joinpath("lua")

    assert sorted(entry.name for entry in scripts.iterdir() if entry.name.endswith(".lua")) == [
        "bury.lua",
        "enqueue.lua",
        "fetch.lua",
        "wake.lua",
    ]
