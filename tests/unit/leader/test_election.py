"""Election threads in one process, against a real Redis and Redis time (polled, never slept on)."""

import itertools

import pytest

from scalejobs.clock import RedisClock
from scalejobs.keys import KeySpace
from scalejobs.leader.election import Election
from scalejobs.leader.engine import Candidate, LeaderLease
from tests.conftest import wait_for

_pids = itertools.count(1)


@pytest.fixture
def elections(redis_db):
    started = []

    def start(count, *, lease_seconds=2.0, renew_seconds=0.5, check_seconds=1.0):
        for _ in range(count):
            lease = LeaderLease(redis_db, KeySpace("test", "leader"), lease_seconds=lease_seconds, clock=RedisClock(redis_db))
            pid = next(_pids)
            election = Election(
                lease,
                renew_seconds=renew_seconds,
                check_seconds=check_seconds,
                candidate=lambda pid=pid: Candidate(host="test", pid=pid, token=f"run-{pid}"),
            )
            election.take_part()
            started.append(election)
        return started[-count:]

    yield start
    for election in started:
        election.withdraw()


def leaders(elections):
    return [election for election in elections if election.is_leader]


def test_exactly_one_of_several_processes_leads(elections):
    group = elections(3)
    [leader] = wait_for(lambda: leaders(group))
    assert leader.leader_since is not None
    assert all(not election.is_leader for election in group if election is not leader)


def test_a_withdrawing_leader_hands_over_through_its_release_notice(elections, redis_db):
    # The check interval is long, so only the release notice explains a prompt hand-over.
    group = elections(2, lease_seconds=30.0, renew_seconds=10.0, check_seconds=30.0)
    [leader] = wait_for(lambda: leaders(group))
    [follower] = [election for election in group if election is not leader]
    leader.withdraw()
    assert not leader.is_leader
    wait_for(lambda: follower.is_leader, timeout=5)
    elected, released, _ = follower.lease.changes()
    assert (released.event, elected.event, elected.reason) == ("released", "elected", "vacant")


def test_a_leader_whose_lease_was_taken_steps_down_at_its_next_renewal(elections, redis_db):
    [leader] = elections(1)
    wait_for(lambda: leader.is_leader)
    intruder = Candidate(host="intruder", pid=999, token="intruder")
    redis_db.delete(leader.lease.lease_key)
    assert leader.lease.bid(intruder).won
    wait_for(lambda: not leader.is_leader, timeout=5)
    assert leader.lease.holder().host == "intruder"


def test_taking_part_twice_needs_two_withdrawals(elections):
    [election] = elections(1)
    election.take_part()
    wait_for(lambda: election.is_leader)
    election.withdraw()
    assert election.is_leader
    election.withdraw()
    assert not election.is_leader
    assert election.lease.holder() is None
