"""The leader lease against a real Redis, with time held still by an injected clock."""

import pytest

from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.leader.engine import Candidate, LeaderChange, LeaderLease

LEASE = 15.0


@pytest.fixture
def clock():
    return FrozenClock(1_800_000_000.0)


@pytest.fixture
def lease(redis_db, clock):
    return LeaderLease(redis_db, KeySpace("test", "leader"), lease_seconds=LEASE, clock=clock)


def candidate(name: str, pid: int = 1) -> Candidate:
    return Candidate(host=name, pid=pid, token=f"token-{name}-{pid}")


def test_the_first_bidder_leads_and_the_next_is_told_who_leads_and_for_how_long(lease, clock):
    first, second = candidate("a"), candidate("b")
    won = lease.bid(first)
    assert won.won and won.holder.host == "a" and won.holder.since == clock.now
    lost = lease.bid(second)
    assert not lost.won
    assert (lost.holder.host, lost.holder.pid, lost.remaining) == ("a", 1, LEASE)
    assert lease.holder().host == "a"


def test_a_lease_lapses_when_not_renewed_and_the_next_bidder_takes_over(lease, clock):
    first, second = candidate("a"), candidate("b")
    lease.bid(first)
    clock.advance(LEASE - 0.001)
    assert not lease.bid(second).won
    clock.advance(0.001)
    assert lease.holder() is None
    took = lease.bid(second)
    assert took.won and took.holder.since == clock.now
    assert not lease.renew(first), "the old leader can no longer renew"
    [change, _] = lease.changes()
    assert change == LeaderChange(
        event="elected", host="b", pid=1, at=clock.now, reason="expired", previous_host="a", previous_pid=1
    )


def test_renewing_keeps_the_lease_and_the_time_it_began(lease, clock):
    leader, other = candidate("a"), candidate("b")
    since = lease.bid(leader).holder.since
    for _ in range(5):
        clock.advance(LEASE / 3)
        assert lease.renew(leader)
    assert not lease.bid(other).won
    again = lease.bid(leader)
    assert again.won and again.holder.since == since
    assert [change.event for change in lease.changes()] == ["elected"]


def test_a_lapsed_lease_nobody_took_can_still_be_renewed_by_its_holder(lease, clock):
    leader = candidate("a")
    lease.bid(leader)
    clock.advance(LEASE * 2)
    assert lease.renew(leader)
    assert lease.holder().host == "a"


def test_release_frees_the_lease_at_once_and_notifies_followers(lease, redis_db, clock):
    leader, follower = candidate("a"), candidate("b")
    lease.bid(leader)
    listener = redis_db.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(lease.channel)
    listener.get_message(timeout=1)
    assert lease.release(leader)
    notice = listener.get_message(timeout=5)
    assert notice is not None and notice["data"] == b"a:1"
    listener.close()
    took = lease.bid(follower)
    assert took.won
    elected, released, _ = lease.changes()
    assert (released.event, released.host) == ("released", "a")
    assert (elected.event, elected.reason) == ("elected", "vacant")


def test_only_the_holder_can_release_or_renew(lease):
    leader, other = candidate("a"), candidate("b")
    lease.bid(leader)
    assert not lease.release(other)
    assert not lease.renew(other)
    assert lease.holder().host == "a"


def test_a_restarted_process_with_the_same_pid_is_a_new_candidate(lease):
    before = Candidate(host="a", pid=7, token="run-1")
    after = Candidate(host="a", pid=7, token="run-2")
    lease.bid(before)
    assert not lease.bid(after).won


def test_the_lease_key_expires_in_redis_with_the_lease(lease, redis_db):
    lease.bid(candidate("a"))
    assert 0 < redis_db.pttl(lease.lease_key) <= LEASE * 1000


def test_the_history_of_changes_is_capped(redis_db, clock):
    lease = LeaderLease(redis_db, KeySpace("test", "leader"), lease_seconds=LEASE, clock=clock, changes_kept=3)
    for index in range(5):
        holder = candidate(f"host{index}")
        lease.bid(holder)
        lease.release(holder)
    assert len(lease.changes(limit=10)) == 3
