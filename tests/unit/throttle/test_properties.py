"""Property tests: random traffic on a real Redis never breaks a limiter's promise."""

from __future__ import annotations

import uuid

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalejobs import Bucket, Concurrency, Leaky, Window
from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.throttle.engine import Throttles

T0 = 1_700_000_040.0
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Each step: milliseconds to let pass, then an attempt (True) or a release of the n-th holder (an int).
steps = st.lists(st.tuples(st.integers(0, 1500), st.one_of(st.just(True), st.integers(0, 20))), max_size=60)


def milliseconds(clock: FrozenClock) -> int:
    """Return the clock as the engine passes it to Redis."""
    return round(clock() * 1000)


def fresh_engine(client: redis.Redis) -> tuple[Throttles, FrozenClock]:
    clock = FrozenClock(T0)
    return Throttles(client, KeySpace(f"prop-{uuid.uuid4().hex[:8]}", "throttle"), clock=clock), clock


@PROPERTY
@given(limit=st.integers(1, 4), timeout_ms=st.integers(500, 5000), script=steps)
def test_concurrency_never_exceeds_its_limit_and_refuses_only_when_full(
    redis_db: redis.Redis, limit: int, timeout_ms: int, script: list
) -> None:
    engine, clock = fresh_engine(redis_db)
    claim = Concurrency(limit, lock_timeout=timeout_ms / 1000).claim("job")
    holders: dict[str, int] = {}  # holder -> expiry ms, as the holders themselves know it
    for number, (elapsed, action) in enumerate(script):
        clock.advance(elapsed / 1000)
        now = milliseconds(clock)
        live = {holder: expiry for holder, expiry in holders.items() if expiry > now}
        if action is True:
            holder = f"h{number}"
            decision = engine.acquire([claim], holder)
            assert decision.admitted == (len(live) < limit)
            if decision.admitted:
                live[holder] = now + timeout_ms
            assert len(live) <= limit
        elif live:
            holder = sorted(live)[action % len(live)]
            engine.release([claim], holder)
            del live[holder]
        holders = live


@PROPERTY
@given(limit=st.integers(1, 5), per_ms=st.integers(200, 4000), script=steps)
def test_window_admits_at_most_limit_in_any_period_and_refuses_only_when_full(
    redis_db: redis.Redis, limit: int, per_ms: int, script: list
) -> None:
    engine, clock = fresh_engine(redis_db)
    claim = Window(limit, per=per_ms / 1000).claim("job")
    starts: list[int] = []
    for number, (elapsed, _) in enumerate(script):
        clock.advance(elapsed / 1000)
        now = milliseconds(clock)
        recent = [start for start in starts if start > now - per_ms]
        decision = engine.acquire([claim], f"h{number}")
        assert decision.admitted == (len(recent) < limit)
        if decision.admitted:
            starts.append(now)
    for start in starts:
        assert len([other for other in starts if start <= other < start + per_ms]) <= limit


@PROPERTY
@given(limit=st.integers(1, 5), per_ms=st.integers(200, 4000), script=steps)
def test_bucket_admits_at_most_limit_per_aligned_period_and_refuses_only_when_full(
    redis_db: redis.Redis, limit: int, per_ms: int, script: list
) -> None:
    engine, clock = fresh_engine(redis_db)
    claim = Bucket(limit, per=per_ms / 1000).claim("job")
    per_bucket: dict[int, int] = {}
    for number, (elapsed, _) in enumerate(script):
        clock.advance(elapsed / 1000)
        bucket = milliseconds(clock) // per_ms
        decision = engine.acquire([claim], f"h{number}")
        assert decision.admitted == (per_bucket.get(bucket, 0) < limit)
        if decision.admitted:
            per_bucket[bucket] = per_bucket.get(bucket, 0) + 1
    assert all(count <= limit for count in per_bucket.values())


@PROPERTY
@given(size=st.integers(1, 5), per_ms=st.integers(200, 4000), script=steps)
def test_leaky_admits_at_most_a_burst_plus_the_drip(redis_db: redis.Redis, size: int, per_ms: int, script: list) -> None:
    engine, clock = fresh_engine(redis_db)
    claim = Leaky(size, per=per_ms / 1000).claim("job")
    starts: list[int] = []
    for number, (elapsed, _) in enumerate(script):
        clock.advance(elapsed / 1000)
        if engine.acquire([claim], f"h{number}").admitted:
            starts.append(milliseconds(clock))
    for i, first in enumerate(starts):
        for j in range(i, len(starts)):
            span = starts[j] - first
            assert j - i + 1 <= size + span * size / per_ms + 1e-6
    # A bucket left alone for a full period is empty again.
    clock.advance(per_ms / 1000)
    assert all(engine.acquire([claim], f"after{n}").admitted for n in range(size))


@PROPERTY
@given(script=st.lists(st.integers(0, 400), max_size=40))
def test_combined_limiters_obey_each_and_refusals_take_nothing(redis_db: redis.Redis, script: list[int]) -> None:
    engine, clock = fresh_engine(redis_db)
    window, bucket = Window(2, per=1).claim("job"), Bucket(5, per=4).claim("job")
    starts: list[int] = []
    for number, elapsed in enumerate(script):
        clock.advance(elapsed / 1000)
        if engine.acquire([window, bucket], f"h{number}").admitted:
            starts.append(milliseconds(clock))
    for start in starts:
        assert len([other for other in starts if start <= other < start + 1000]) <= 2
    per_bucket: dict[int, int] = {}
    for start in starts:
        per_bucket[start // 4000] = per_bucket.get(start // 4000, 0) + 1
    assert all(count <= 5 for count in per_bucket.values())
