"""Batch counters and callbacks per message id, against a real Redis."""

from __future__ import annotations

import pytest

from scalejobs.batch.engine import BatchEngine, BatchFinished, BatchGone
from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace

KEYS = KeySpace("test", "batch")
CALLBACKS = {"description": "import", "on_success": "ok", "on_complete": "done", "on_death": "died"}


@pytest.fixture
def clock():
    return FrozenClock(1_800_000_000.0)


@pytest.fixture
def engine(redis_db, clock):
    return BatchEngine(redis_db, KEYS, expiry_seconds=3600, clock=clock)


def counts(engine, batch_id):
    status = engine.status(batch_id)
    return {"total": status.total, "pending": status.pending, "succeeded": status.succeeded, "failed": status.failed, "dead": status.dead}


def test_a_batch_finishes_once_every_job_succeeded_and_fires_complete_and_success_once(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m1", "m2"])
    assert engine.release("b", "h") == []

    assert engine.settle("b", "m1", "S") == []
    assert engine.settle("b", "m2", "S") == [("b", "on_complete"), ("b", "on_success")]
    assert engine.settle("b", "m2", "S") == []
    assert counts(engine, "b") == {"total": 2, "pending": 0, "succeeded": 2, "failed": 0, "dead": 0}
    assert engine.status("b").finished


def test_a_batch_cannot_finish_while_a_with_block_holds_it(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m1"])
    assert engine.settle("b", "m1", "S") == []
    assert not engine.status("b").finished
    assert engine.release("b", "h") == [("b", "on_complete"), ("b", "on_success")]


def test_an_empty_batch_finishes_when_its_block_ends(engine):
    engine.open("b", "h", create=CALLBACKS)
    assert engine.release("b", "h") == [("b", "on_complete"), ("b", "on_success")]
    assert counts(engine, "b")["total"] == 0


def test_a_retry_that_succeeds_moves_a_job_from_failed_to_succeeded(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m1"])
    engine.release("b", "h")
    engine.settle("b", "m1", "F")
    assert counts(engine, "b") == {"total": 1, "pending": 1, "succeeded": 0, "failed": 1, "dead": 0}
    assert engine.settle("b", "m1", "S") == [("b", "on_complete"), ("b", "on_success")]
    assert counts(engine, "b") == {"total": 1, "pending": 0, "succeeded": 1, "failed": 0, "dead": 0}


def test_a_dead_job_fires_death_once_then_complete_but_never_success(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m1", "m2", "m3"])
    engine.release("b", "h")
    assert engine.settle("b", "m1", "D", origin="export|default") == [("b", "on_death")]
    assert engine.settle("b", "m2", "D", origin="export|default") == []
    assert engine.settle("b", "m3", "S") == [("b", "on_complete")]
    assert counts(engine, "b") == {"total": 3, "pending": 0, "succeeded": 1, "failed": 2, "dead": 2}
    assert sorted(job.message_id for job in engine.dead_jobs("b")) == ["m1", "m2"]
    assert engine.dead_jobs("b")[0].actor == "export"


def test_a_redelivered_copy_of_a_succeeded_message_changes_nothing(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m1", "m2"])
    engine.release("b", "h")
    engine.settle("b", "m1", "S")
    engine.settle("b", "m1", "F")
    engine.settle("b", "m1", "D")
    engine.add("b", ["m1"])
    assert counts(engine, "b") == {"total": 2, "pending": 1, "succeeded": 1, "failed": 0, "dead": 0}


def test_a_dead_job_revived_and_succeeding_fires_success_after_complete(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m1"])
    engine.release("b", "h")
    assert engine.settle("b", "m1", "D") == [("b", "on_death"), ("b", "on_complete")]
    assert engine.settle("b", "m1", "S") == [("b", "on_success")]
    assert counts(engine, "b")["dead"] == 0


def test_a_job_that_ran_before_it_was_counted_counts_its_outcome_when_added(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.settle("b", "m1", "S")
    engine.settle("b", "m2", "D")
    assert counts(engine, "b")["total"] == 0
    assert engine.add("b", ["m1", "m2", "m3"]) == [("b", "on_death")]
    assert counts(engine, "b") == {"total": 3, "pending": 1, "succeeded": 1, "failed": 1, "dead": 1}
    engine.release("b", "h")
    assert engine.settle("b", "m3", "S") == [("b", "on_complete")]


def test_a_child_batch_is_one_job_of_its_parent(engine):
    engine.open("parent", "h", create=CALLBACKS)
    engine.add("parent", ["m1"])
    engine.open("child", "c", create=CALLBACKS, parent="parent")
    engine.add("child", ["m2"])
    engine.release("child", "c")
    engine.release("parent", "h")
    assert counts(engine, "parent")["total"] == 2
    engine.settle("parent", "m1", "S")
    assert not engine.status("parent").finished
    fired = engine.settle("child", "m2", "S")
    assert fired == [("child", "on_complete"), ("child", "on_success"), ("parent", "on_complete"), ("parent", "on_success")]
    assert counts(engine, "parent")["succeeded"] == 2
    assert engine.children("parent") == ["child"]


def test_a_child_batch_with_a_dead_job_counts_as_a_dead_job_of_its_parent(engine):
    engine.open("parent", "h", create=CALLBACKS)
    engine.open("child", "c", create=CALLBACKS, parent="parent")
    engine.add("child", ["m1"])
    engine.release("child", "c")
    engine.release("parent", "h")
    fired = engine.settle("child", "m1", "D")
    assert ("parent", "on_death") in fired and ("parent", "on_complete") in fired
    assert ("parent", "on_success") not in fired
    assert counts(engine, "parent")["dead"] == 1


def test_a_finished_batch_cannot_be_opened_again_and_a_missing_one_is_gone(engine):
    engine.open("b", "h", create=CALLBACKS)
    engine.release("b", "h")
    with pytest.raises(BatchFinished):
        engine.open("b", "again")
    with pytest.raises(BatchGone):
        engine.open("missing", "h")


def test_a_finished_batch_expires_and_an_unfinished_one_does_not(engine, redis_db):
    engine.open("done", "h", create=CALLBACKS)
    engine.release("done", "h")
    engine.open("running", "h", create=CALLBACKS)
    engine.add("running", ["m1"])
    assert 0 < redis_db.ttl(KEYS("done")) <= 3600
    assert redis_db.ttl(KEYS("running")) == -1
    assert redis_db.ttl(KEYS("running", "jobs")) == -1
    redis_db.delete(KEYS("done"), KEYS("done", "jobs"))  # what expiry does
    assert [status.id for status in engine.recent()] == ["running"]
    assert redis_db.zcard(KEYS("index")) == 1


def test_a_callback_is_claimed_by_the_first_message_and_its_redeliveries(engine):
    engine.open("b", "h", create=CALLBACKS)
    assert engine.claim("b", "on_success", "x")
    assert engine.claim("b", "on_success", "x")
    assert not engine.claim("b", "on_success", "y")


def test_a_fired_callback_stays_due_until_sent_and_the_sweep_finds_it_late(engine, clock):
    engine.open("b", "h", create=CALLBACKS)
    engine.release("b", "h")
    assert engine.overdue() == []
    clock.advance(31)
    assert sorted(engine.overdue()) == [("b", "on_complete"), ("b", "on_success")]
    assert engine.overdue() == []
    engine.sent("b", "on_complete")
    clock.advance(31)
    assert engine.overdue() == [("b", "on_success")]


def test_outcomes_settled_together_count_as_settled_one_by_one(engine):
    engine.open("a", "h", create=CALLBACKS)
    engine.add("a", ["m1", "m2"])
    engine.release("a", "h")
    engine.open("b", "h", create=CALLBACKS)
    engine.add("b", ["m3"])
    engine.release("b", "h")
    fired = engine.settle_many([("a", "m1", "S", ""), ("b", "m3", "D", "row|batch"), ("a", "m2", "F", ""), ("a", "m2", "S", "")])
    assert fired == [("b", "on_death"), ("b", "on_complete"), ("a", "on_complete"), ("a", "on_success")]
    assert counts(engine, "a") == {"total": 2, "pending": 0, "succeeded": 2, "failed": 0, "dead": 0}
