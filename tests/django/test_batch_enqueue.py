"""Which jobs join a batch, and when a batch opens: every enqueue path, commits and rollbacks."""

from __future__ import annotations

import json

import dramatiq
import pytest
from django.core.mail import EmailMessage
from django.db import transaction

import scalejobs
from scalejobs.batch import BatchClosed, BatchNotOpen
from tests.testapp import backend_tasks
from tests.testapp.batch_tasks import on_complete, on_success, row

pytestmark = pytest.mark.usefixtures("broker")


def batch_of_queued(redis_db, queue: str) -> list[str | None]:
    """Return the batch option of every message queued on ``queue``, in order."""
    messages = [json.loads(raw) for raw in redis_db.hvals(f"dramatiq:{queue}.msgs")]
    return [message["options"].get("batch") for message in messages]


def test_every_way_of_enqueueing_inside_the_block_joins_the_batch(redis_db):
    with scalejobs.Batch("every path", on_success=on_success) as batch:
        row.perform_later("later")
        row.perform_in(60, "in")
        row.perform_bulk([("bulk-1",), ("bulk-2",)])
        row.send("raw")
        scalejobs.perform_later(row, "module function")
        backend_tasks.record.enqueue("task")
        scalejobs.deliver_later(EmailMessage("Hi", "Body", "shop@example.com", ["a@example.com"]))
    row.perform_later("outside")

    status = scalejobs.Batch.status(batch.id)
    assert (status.total, status.pending, status.description) == (8, 8, "every path")
    assert batch_of_queued(redis_db, "batch").count(batch.id) == 5
    assert batch_of_queued(redis_db, "batch").count(None) == 1
    assert batch_of_queued(redis_db, "batch.DQ") == [batch.id]
    assert batch_of_queued(redis_db, "default") == [batch.id, batch.id]


def test_a_batch_is_counted_in_a_few_round_trips_not_one_per_job(redis_db, round_trips, monkeypatch):
    # Dramatiq's maintenance pass (drawn at random per enqueue) costs the push broker a second round
    # trip for its wake-up token; it has nothing to do with batches, so it stays out of the count.
    monkeypatch.setattr(dramatiq.get_broker(), "maintenance_chance", 0)
    with scalejobs.Batch("many") as batch:
        for index in range(50):
            row.perform_later(f"r{index}")
        sent = round_trips["caller"]
    assert scalejobs.Batch.status(batch.id).total == 50
    assert sent <= 50 + 1


def test_inside_a_job_of_no_batch_current_is_none_and_inside_a_block_it_is_the_batch():
    assert scalejobs.Batch.current() is None
    with scalejobs.Batch() as batch:
        assert scalejobs.Batch.current() is batch
    assert scalejobs.Batch.current() is None


def test_add_later_joins_the_open_batch_and_a_finished_batch_refuses_more(redis_db):
    with scalejobs.Batch("later") as batch:
        row.perform_later("first")
    batch.add(row, "second")
    assert scalejobs.Batch.status(batch.id).total == 2

    with scalejobs.Batch("empty") as empty:
        pass
    assert scalejobs.Batch.status(empty.id).finished
    with pytest.raises(BatchClosed, match=f"batch '{empty.id}' has finished"):
        empty.add(row, "too late")


def test_an_empty_batch_fires_its_callbacks_when_the_block_ends(redis_db):
    with scalejobs.Batch("empty", on_success=on_success, on_complete=on_complete) as batch:
        pass
    queued = [json.loads(raw) for raw in redis_db.hvals("dramatiq:batch.msgs")]
    assert sorted(message["actor_name"] for message in queued) == ["on_complete", "on_success"]
    assert all(message["args"][0] == batch.id and message["args"][1]["total"] == 0 for message in queued)
    assert {message["options"]["batch_callback"] for message in queued} == {f"{batch.id}|on_success", f"{batch.id}|on_complete"}


def test_a_batch_inside_another_block_is_one_job_of_it(redis_db):
    with scalejobs.Batch("parent") as parent:
        row.perform_later("parent job")
        with scalejobs.Batch("child") as child:
            row.perform_bulk([("a",), ("b",)])
    assert scalejobs.Batch.status(parent.id).total == 2
    assert scalejobs.Batch.status(child.id).total == 2
    assert scalejobs.Batch.status(child.id).parent == parent.id


def test_a_callback_must_be_a_job():
    with pytest.raises(TypeError, match="on_success: expected a job"):
        scalejobs.Batch(on_success=print)


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_the_batch_opens_and_its_jobs_are_sent_at_commit(redis_db):
    with transaction.atomic():
        with scalejobs.Batch("at commit", on_success=on_success) as batch:
            row.perform_later("a")
            row.perform_bulk([("b",), ("c",)])
        assert scalejobs.Batch.status(batch.id) is None
        assert redis_db.hlen("dramatiq:batch.msgs") == 0
    status = scalejobs.Batch.status(batch.id)
    assert (status.total, status.pending) == (3, 3)
    assert batch_of_queued(redis_db, "batch") == [batch.id] * 3


@pytest.mark.django_db(transaction=True)
def test_a_rollback_sends_nothing_and_leaves_no_batch(redis_db):
    with pytest.raises(RuntimeError), transaction.atomic():
        with scalejobs.Batch("rolled back") as batch:
            row.perform_later("a")
        raise RuntimeError("roll back")
    assert scalejobs.Batch.status(batch.id) is None
    assert redis_db.keys("scalejobs:batch:*") == []
    assert redis_db.hlen("dramatiq:batch.msgs") == 0


@pytest.mark.django_db(transaction=True)
def test_a_job_sent_at_once_inside_a_batch_that_opens_at_commit_is_refused(redis_db):
    with transaction.atomic(), scalejobs.Batch("at commit"):
        with pytest.raises(BatchNotOpen, match="opens when the transaction commits"):
            scalejobs.perform_later(row, "now", on_commit=False)
