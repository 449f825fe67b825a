"""Each limiter's Lua against a real Redis, with the clock moved by hand."""

from __future__ import annotations

import pytest
import redis

from scalejobs import Bucket, Concurrency, Leaky, Window
from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.throttle.engine import Claim, Throttles, Usage, parse_ident

# The start of a minute, so bucket windows line up with round numbers.
T0 = 1_700_000_040.0


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def engine(redis_db: redis.Redis, clock: FrozenClock) -> Throttles:
    return Throttles(redis_db, KeySpace("test", "throttle"), clock=clock)


def admitted(engine: Throttles, claim: Claim, holder: str) -> bool:
    return engine.acquire([claim], holder).admitted


def test_concurrency_admits_up_to_its_limit_then_refuses(engine: Throttles) -> None:
    claim = Concurrency(2).claim("job")
    assert admitted(engine, claim, "a") and admitted(engine, claim, "b")
    decision = engine.acquire([claim], "c")
    assert not decision.admitted and decision.refused_by == claim and decision.wait == 0


def test_a_released_slot_admits_the_next_holder(engine: Throttles) -> None:
    claim = Concurrency(1).claim("job")
    assert admitted(engine, claim, "a")
    engine.release([claim], "a")
    assert admitted(engine, claim, "b")


def test_a_slot_whose_holder_vanished_comes_back_after_the_lock_timeout(engine: Throttles, clock: FrozenClock) -> None:
    claim = Concurrency(1, lock_timeout=30).claim("job")
    assert admitted(engine, claim, "dead")
    clock.advance(29.9)
    assert not admitted(engine, claim, "b")
    clock.advance(0.2)
    assert admitted(engine, claim, "b")
    assert engine.usage()[0].reclaimed == 1


def test_a_dead_processs_slots_are_freed_by_its_owner_record_and_no_one_elses(engine: Throttles) -> None:
    one, two = Concurrency(1).claim("report"), Concurrency(2).claim("sync")
    rate = Window(5, per=60).claim("sync")
    assert engine.acquire([one, two, rate], "dead-job", owner="dead").admitted
    assert engine.acquire([two], "live-job", owner="live").admitted
    assert not admitted(engine, one, "waiting") and not admitted(engine, two, "waiting")

    assert engine.free_owner("dead") == 1

    assert admitted(engine, one, "next") and admitted(engine, two, "next")
    assert not admitted(engine, two, "third")  # the live process's slot is still its own
    assert engine.free_owner("dead") == 0


def test_released_slots_leave_their_owners_record(engine: Throttles, redis_db: redis.Redis) -> None:
    slot = Concurrency(3).claim("report")
    for holder in ("a", "b", "c"):
        assert engine.acquire([slot], holder, owner="process").admitted
    engine.release_many([([slot], "a"), ([slot], "b")], owner="process")
    engine.release([slot], "c", owner="process")

    assert not redis_db.exists(engine.keys("owner", "process"))


def test_a_late_release_cannot_free_another_holders_slot(engine: Throttles, clock: FrozenClock) -> None:
    claim = Concurrency(1, lock_timeout=10).claim("job")
    assert admitted(engine, claim, "slow")
    clock.advance(11)
    assert admitted(engine, claim, "next")
    engine.release([claim], "slow")
    assert not admitted(engine, claim, "third")


def test_a_renewed_slot_outlives_its_first_timeout(engine: Throttles, clock: FrozenClock) -> None:
    claim = Concurrency(1, lock_timeout=10).claim("job")
    assert admitted(engine, claim, "long")
    for _ in range(5):
        clock.advance(6)
        assert engine.renew([claim], "long") == 1
    assert not admitted(engine, claim, "other")


def test_a_lapsed_slot_is_not_taken_back_by_renewal(engine: Throttles, clock: FrozenClock) -> None:
    claim = Concurrency(1, lock_timeout=10).claim("job")
    assert admitted(engine, claim, "stalled")
    clock.advance(11)
    assert admitted(engine, claim, "next")
    assert engine.renew([claim], "stalled") == 0
    assert not admitted(engine, claim, "third")


def test_window_admits_limit_in_any_period_and_says_when_the_oldest_leaves(engine: Throttles, clock: FrozenClock) -> None:
    claim = Window(3, per=10).claim("job")
    for holder in "abc":
        assert admitted(engine, claim, holder)
        clock.advance(2)
    decision = engine.acquire([claim], "d")
    assert not decision.admitted and decision.wait == pytest.approx(4.0)
    clock.advance(4)
    assert admitted(engine, claim, "d")
    assert not admitted(engine, claim, "e")


def test_bucket_counts_per_aligned_window_and_waits_for_the_next(engine: Throttles, clock: FrozenClock) -> None:
    claim = Bucket(2, per=60).claim("job")
    clock.advance(50)
    assert admitted(engine, claim, "a") and admitted(engine, claim, "b")
    decision = engine.acquire([claim], "c")
    assert not decision.admitted and decision.wait == pytest.approx(10.0)
    clock.advance(10)
    assert admitted(engine, claim, "c") and admitted(engine, claim, "d")
    assert not admitted(engine, claim, "e")


def test_leaky_admits_a_burst_then_one_per_drip(engine: Throttles, clock: FrozenClock) -> None:
    claim = Leaky(4, per=8).claim("job")  # drips one place every 2 s
    assert all(admitted(engine, claim, holder) for holder in "abcd")
    decision = engine.acquire([claim], "e")
    assert not decision.admitted and decision.wait == pytest.approx(2.0)
    clock.advance(2)
    assert admitted(engine, claim, "e")
    assert not admitted(engine, claim, "f")
    clock.advance(8)
    assert all(admitted(engine, claim, holder) for holder in "ghij")


def test_all_limiters_must_admit_and_a_refusal_takes_nothing(engine: Throttles) -> None:
    slots = Concurrency(5).claim("job")
    window = Window(1, per=60).claim("job")
    assert engine.acquire([slots, window], "a").admitted
    decision = engine.acquire([slots, window], "b")
    assert not decision.admitted and decision.refused_by == window
    usage = {row.kind: row for row in engine.usage()}
    assert usage["concurrency"].in_use == 1
    assert usage["window"].throttled == 1


def test_scopes_count_separately(engine: Throttles) -> None:
    limiter = Concurrency(1, key=lambda account: f"acct-{account}")
    assert admitted(engine, limiter.claim("job", (1,)), "a")
    assert admitted(engine, limiter.claim("job", (2,)), "b")
    assert not admitted(engine, limiter.claim("job", (1,)), "c")


def test_usage_lists_each_limiter_with_limit_use_and_refusals(engine: Throttles, clock: FrozenClock) -> None:
    engine.acquire([Concurrency(3).claim("export")], "a")
    clock.advance(1)
    engine.acquire([Window(2, per=5).claim("report")], "b")
    assert engine.usage() == [
        Usage(ident="window:5000:report", kind="window", scope="report", limit=2, period=5, in_use=1, throttled=0, reclaimed=0),
        Usage(
            ident="concurrency:export", kind="concurrency", scope="export", limit=3, period=0, in_use=1, throttled=0, reclaimed=0
        ),
    ]


def test_without_a_clock_decisions_use_the_redis_server_clock(redis_db: redis.Redis) -> None:
    engine = Throttles(redis_db, KeySpace("test", "throttle"))
    claim = Window(1, per=60).claim("job")
    assert admitted(engine, claim, "a")
    (start,) = redis_db.zrange("test:throttle:window:60000:job", 0, -1, withscores=True)
    seconds, _ = redis_db.time()
    assert abs(start[1] / 1000 - seconds) < 2


def test_state_keys_expire_once_idle(engine: Throttles, redis_db: redis.Redis) -> None:
    engine.acquire([Window(1, per=5).claim("job"), Concurrency(1, lock_timeout=7).claim("job")], "a")
    assert 0 < redis_db.pttl("test:throttle:window:5000:job") <= 5000
    # Slots lapse by their own expiry; the set is kept a day so the admin can count reclaimed ones.
    assert 7000 < redis_db.pttl("test:throttle:concurrency:job") <= 24 * 3600 * 1000


def test_count_ids_split_back_into_kind_period_and_scope() -> None:
    assert parse_ident("window:2000:acct:7") == ("window", 2.0, "acct:7")
    assert parse_ident("concurrency:acct:7") == ("concurrency", 0.0, "acct:7")
