"""``lua/enqueue.lua``: the lock of ``acquire.lua`` and the send of the dispatch broker's ``enqueue.lua``, in one call."""

from __future__ import annotations

import os

import pytest
import redis

from scalejobs.testing.clock import FrozenClock
from scalejobs.dispatch import RedisBroker
from scalejobs.keys import KeySpace
from scalejobs.unique.engine import LockRequest, UniqueJobs
from tests.unit.dispatch.test_scripts import snapshot

QUEUE = "work"


@pytest.fixture
def engine(redis_db: redis.Redis) -> UniqueJobs:
    return UniqueJobs(redis_db, KeySpace("test", "unique"), clock=FrozenClock())


@pytest.fixture
def broker(redis_db: redis.Redis) -> RedisBroker:
    return RedisBroker(url=os.environ["REDIS_URL"], namespace="locked", middleware=[])


def send(engine: UniqueJobs, broker: RedisBroker, redis_id: str, owner: str, *, refusable: bool = True) -> str:
    keys, args = broker.push.enqueue_call(QUEUE, redis_id, b'{"args": ["%s"]}' % owner.encode(), broker_id="b1", now_ms=1)
    return engine.acquire_and_enqueue(LockRequest(digest="d1", owner=owner, ttl=60, actor="a", label="l"), keys, args, refusable=refusable)


def test_a_taken_lock_sends_what_the_dispatch_enqueue_sends(engine, broker, redis_db):
    assert send(engine, broker, "r1", "m1") == "m1"
    broker.push.enqueue(QUEUE, "r0", b'{"args": ["m1"]}', broker_id="b1", now_ms=1)
    plain_keys = {"__heartbeats__": 1, "work": 2, "work.msgs": ["m1", "m1"], "__wakeups__.work": 1}

    assert snapshot(redis_db, "locked") == plain_keys


def test_the_lock_is_what_acquire_takes(engine, broker, redis_db):
    send(engine, broker, "r1", "m1")

    assert engine.holder("d1") == "m1"
    assert [lock.owner for lock in engine.locks()] == ["m1"]
    assert 59_000 < redis_db.pttl("test:unique:lock:d1") <= 60_000


def test_a_fresh_message_refused_by_another_owner_is_not_sent(engine, broker, redis_db):
    send(engine, broker, "r1", "m1")

    assert send(engine, broker, "r2", "m2") == "m1"
    assert redis_db.lrange("locked:work", 0, -1) == [b"r1"]
    assert engine.holder("d1") == "m1"


def test_a_resend_is_sent_even_when_another_message_holds_the_lock(engine, broker, redis_db):
    send(engine, broker, "r1", "m1")

    assert send(engine, broker, "r2", "m2", refusable=False) == "m1"
    assert redis_db.lrange("locked:work", 0, -1) == [b"r1", b"r2"]
    assert engine.holder("d1") == "m1"


def test_the_owner_renews_its_lock_as_it_resends(engine, broker, redis_db):
    send(engine, broker, "r1", "m1")
    redis_db.pexpire("test:unique:lock:d1", 5)

    assert send(engine, broker, "r2", "m1", refusable=False) == "m1"
    assert redis_db.pttl("test:unique:lock:d1") > 59_000
