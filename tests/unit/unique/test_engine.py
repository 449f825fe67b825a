"""The unique-lock engine against a real Redis, with the clock held still."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from scalejobs.testing.clock import FrozenClock
from scalejobs.errors import JobOptionError
from scalejobs.keys import KeySpace
from scalejobs.unique.engine import Lock, LockRequest, UniqueJobs
from scalejobs.unique.policy import UniquePolicy, identity, unique_policy


@pytest.fixture
def engine(redis_db: redis.Redis) -> UniqueJobs:
    return UniqueJobs(redis_db, KeySpace("test", "unique"), clock=FrozenClock())


def test_the_first_message_takes_a_free_lock(engine: UniqueJobs) -> None:
    assert engine.acquire("d1", "m1", 60) == "m1"
    assert engine.holder("d1") == "m1"


def test_another_message_is_refused_and_told_the_holder(engine: UniqueJobs) -> None:
    engine.acquire("d1", "m1", 60)
    assert engine.acquire("d1", "m2", 60) == "m1"
    assert engine.holder("d1") == "m1"


def test_the_owner_renews_its_own_lock_with_the_new_ttl(engine: UniqueJobs, redis_db: redis.Redis) -> None:
    engine.acquire("d1", "m1", 5)
    assert engine.acquire("d1", "m1", 100) == "m1"
    assert 99_000 < redis_db.pttl("test:unique:lock:d1") <= 100_000


def test_the_lock_lives_for_its_ttl(engine: UniqueJobs, redis_db: redis.Redis) -> None:
    engine.acquire("d1", "m1", 30)
    assert 29_000 < redis_db.pttl("test:unique:lock:d1") <= 30_000


def test_release_by_the_owner_frees_the_lock(engine: UniqueJobs) -> None:
    engine.acquire("d1", "m1", 60)
    assert engine.release("d1", "m1") is True
    assert engine.holder("d1") is None
    assert engine.acquire("d1", "m2", 60) == "m2"


def test_release_by_another_message_leaves_the_lock_alone(engine: UniqueJobs) -> None:
    engine.acquire("d1", "m1", 60)
    assert engine.release("d1", "m2") is False
    assert engine.holder("d1") == "m1"


def test_a_lock_that_expired_can_be_taken_by_another_message(engine: UniqueJobs, redis_db: redis.Redis) -> None:
    engine.acquire("d1", "m1", 60)
    redis_db.delete("test:unique:lock:d1")  # what its TTL does
    assert engine.acquire("d1", "m2", 60) == "m2"
    assert engine.release("d1", "m1") is False


def test_the_admin_listing_shows_live_locks_with_owner_label_and_ttl(engine: UniqueJobs) -> None:
    engine.acquire("d1", "m1", 10, actor="export", label="export@default:[[1],{}]")
    engine.acquire("d2", "m2", 20, actor="report", label="report:acct-7")
    locks = engine.locks()
    assert [lock.digest for lock in locks] == ["d1", "d2"]
    first = locks[0]
    assert (first.owner, first.actor, first.label) == ("m1", "export", "export@default:[[1],{}]")
    assert 9 < first.ttl <= 10
    assert engine.count() == 2


def test_many_locks_are_released_in_one_call_each_only_by_its_owner(engine: UniqueJobs) -> None:
    for digest, owner in [("d1", "m1"), ("d2", "m2"), ("d3", "m3")]:
        engine.acquire(digest, owner, 60)
    assert engine.release_many([("d1", "m1"), ("d2", "someone-else"), ("d3", "m3"), ("gone", "m4")]) == 2
    assert [lock.digest for lock in engine.locks()] == ["d2"]


def test_a_released_lock_leaves_the_index(engine: UniqueJobs) -> None:
    engine.acquire("d1", "m1", 10)
    engine.release("d1", "m1")
    assert engine.locks() == []
    assert engine.count() == 0


def test_index_entries_of_expired_locks_are_dropped_on_the_next_take(redis_db: redis.Redis) -> None:
    clock = FrozenClock()
    engine = UniqueJobs(redis_db, KeySpace("test", "unique"), clock=clock)
    engine.acquire("old", "m1", 5)
    redis_db.delete("test:unique:lock:old")
    assert engine.locks() == []  # a vanished lock is never listed
    clock.advance(6)
    engine.acquire("new", "m2", 5)
    assert redis_db.zrange("test:unique:locks", 0, -1) == [b"new"]


def test_a_renewal_keeps_the_label_of_the_first_take(engine: UniqueJobs) -> None:
    engine.acquire("d1", "m1", 10, actor="export", label="first")
    engine.acquire("d1", "m1", 10, actor="export", label="export")
    (lock,) = engine.locks()
    assert lock == Lock(digest="d1", owner="m1", actor="export", label="first", ttl=lock.ttl)


def test_without_a_clock_the_redis_server_clock_dates_the_index(redis_db: redis.Redis) -> None:
    engine = UniqueJobs(redis_db, KeySpace("test", "unique"))
    engine.acquire("d1", "m1", 10)
    seconds, _ = redis_db.time()
    score = redis_db.zscore("test:unique:locks", "d1")
    assert abs(score / 1000 - (seconds + 10)) < 2


def test_the_default_identity_is_actor_queue_and_canonical_arguments() -> None:
    policy = UniquePolicy(ttl=60, until="success", key=None)
    digest, label = identity(policy, "export", "default", (1, [2, 3]), {"b": 1, "a": 2})
    same, _ = identity(policy, "export", "default", [1, (2, 3)], {"a": 2, "b": 1})
    assert digest == same
    assert label == 'export@default:[[1,[2,3]],{"a":2,"b":1}]'
    assert identity(policy, "export", "other", (1, [2, 3]), {"a": 2, "b": 1})[0] != digest
    assert identity(policy, "report", "default", (1, [2, 3]), {"a": 2, "b": 1})[0] != digest


def test_a_unique_key_names_the_identity_within_its_job() -> None:
    policy = UniquePolicy(ttl=60, until="success", key=lambda account, **_: f"acct-{account}")
    digest, label = identity(policy, "export", "default", (7,), {"full": True})
    assert label == "export:acct-7"
    assert identity(policy, "export", "default", (7,), {"full": False})[0] == digest
    assert identity(policy, "report", "default", (7,), {})[0] != digest


def test_unique_options_are_read_into_a_policy() -> None:
    assert unique_policy("job", {}) is None
    policy = unique_policy("job", {"unique_for": dt.timedelta(minutes=2), "unique_until": "start"})
    assert policy == UniquePolicy(ttl=120.0, until="start", key=None)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"unique_for": 0}, "job: unique_for must be a positive number of seconds or a timedelta, got 0."),
        ({"unique_for": "60"}, "job: unique_for must be a positive number of seconds or a timedelta, got '60'."),
        ({"unique_for": True}, "job: unique_for must be a positive number of seconds or a timedelta, got True."),
        (
            {"unique_for": 60, "unique_until": "succes"},
            "job: unique_until must be 'success' or 'start', got 'succes'. Did you mean 'success'?",
        ),
        ({"unique_for": 60, "unique_key": "id"}, "job: unique_key must be a callable taking the job's arguments, got 'id'."),
        ({"unique_until": "start"}, "job: unique_until needs unique_for, the lock's lifetime."),
    ],
)
def test_invalid_unique_options_name_the_option(options: dict, message: str) -> None:
    with pytest.raises(JobOptionError) as caught:
        unique_policy("job", options)
    assert str(caught.value) == message


def test_a_batch_of_requests_is_decided_in_order_so_a_repeated_identity_is_refused(engine: UniqueJobs) -> None:
    engine.acquire("d0", "old", 60)
    requests = [
        LockRequest(digest="d0", owner="m1", ttl=60),
        LockRequest(digest="d1", owner="m2", ttl=60),
        LockRequest(digest="d1", owner="m3", ttl=60),
        LockRequest(digest="d1", owner="m2", ttl=90),
    ]

    assert engine.acquire_many(requests) == ["old", "m2", "m2", "m2"]
    assert engine.holders(["d0", "d1", "d2"]) == ["old", "m2", None]


def test_a_batch_of_requests_takes_locks_as_single_acquires_do(engine: UniqueJobs, redis_db: redis.Redis) -> None:
    engine.acquire_many([LockRequest(digest="d1", owner="m1", ttl=30, actor="job", label="job:1")])

    assert engine.locks() == [Lock(digest="d1", owner="m1", actor="job", label="job:1", ttl=pytest.approx(30, abs=1))]
