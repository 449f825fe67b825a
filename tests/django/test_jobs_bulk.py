"""perform_bulk against the configured push broker: per-message checks, duplicates, commits, round trips."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker as PlainBroker
from django.db import transaction

import scalejobs
from scalejobs.keys import KeySpace
from scalejobs.unique.engine import UniqueJobs
from scalejobs.unique.middleware import Unique
from tests.testapp.tasks import record
from tests.testapp.unique_tasks import QUEUE as UNIQUE_QUEUE
from tests.testapp.unique_tasks import unique_record

pytestmark = pytest.mark.usefixtures("broker")


def queued(redis_db: redis.Redis, queue: str = "default") -> list[list[object]]:
    """Return the args of every message in ``queue``, in fetch order."""
    ids = redis_db.lrange(f"dramatiq:{queue}", 0, -1)
    return [json.loads(redis_db.hget(f"dramatiq:{queue}.msgs", redis_id))["args"] for redis_id in ids]


def test_perform_bulk_sends_one_message_per_argument_tuple_in_order(redis_db):
    sent = record.perform_bulk([("a",), ["b"], ("c", {"n": 1})])

    assert [message.args for message in sent] == [("a",), ("b",), ("c", {"n": 1})]
    assert queued(redis_db) == [["a"], ["b"], ["c", {"n": 1}]]


def test_kwargs_list_alone_or_paired_with_args_list_passes_keyword_arguments(redis_db):
    record.perform_bulk(kwargs_list=[{"token": "a"}, {"token": "b", "payload": 2}])
    sent = record.perform_bulk([("c",), ("d",)], [{}, {"payload": [1]}])

    assert [(message.args, message.kwargs) for message in sent] == [(("c",), {}), (("d",), {"payload": [1]})]
    assert len(queued(redis_db)) == 4


def test_the_module_function_bulk_enqueues_any_actor(redis_db):
    scalejobs.perform_bulk(record, [("a",), ("b",)])
    assert queued(redis_db) == [["a"], ["b"]]


def test_a_delay_applies_to_every_message_of_the_batch(redis_db):
    sent = record.perform_bulk([("a",), ("b",)], delay=dt.timedelta(seconds=30))

    assert {message.queue_name for message in sent} == {"default.DQ"}
    assert len(queued(redis_db, "default.DQ")) == 2 and queued(redis_db) == []


def test_a_json_error_names_the_message_and_the_argument_and_nothing_is_sent(redis_db):
    with pytest.raises(TypeError) as raised:
        record.perform_bulk([("a",), ("b",), (dt.datetime(2030, 1, 1),)])
    assert str(raised.value) == "args_list[2][0]: datetime is not JSON serializable"

    with pytest.raises(TypeError) as raised:
        record.perform_bulk(kwargs_list=[{"token": "a"}, {"token": "b", "payload": {"price": Decimal("1.5")}}])
    assert str(raised.value) == "kwargs_list[1]['payload']['price']: Decimal is not JSON serializable"
    assert queued(redis_db) == []


def test_malformed_batches_are_refused_with_the_fix(redis_db):
    with pytest.raises(TypeError, match=r"args_list\[1\]: expected a tuple or list of arguments, got 'b'; wrap one argument as \('b',\)"):
        record.perform_bulk([("a",), "b"])
    with pytest.raises(ValueError, match="args_list has 2 items but kwargs_list has 1"):
        record.perform_bulk([("a",), ("b",)], [{}])
    with pytest.raises(TypeError, match="give args_list, kwargs_list or both"):
        record.perform_bulk()
    assert record.perform_bulk([]) == []
    assert queued(redis_db) == []


def test_duplicates_are_dropped_per_message_within_and_across_batches(redis_db):
    first = unique_record.perform_bulk([("a",), ("b",), ("a",)])
    second = unique_record.perform_bulk([("a",), ("c",)])

    assert [None if message is None else message.args[0] for message in first] == ["a", "b", None]
    assert [None if message is None else message.args[0] for message in second] == [None, "c"]
    assert queued(redis_db, UNIQUE_QUEUE) == [["a"], ["b"], ["c"]]


def test_a_bulk_of_unique_jobs_still_holds_a_lock_per_message(redis_db):
    unique_record.perform_bulk([("a",), ("b",)])

    assert unique_record.perform_later("a") is None
    with pytest.raises(scalejobs.DuplicateJob):
        unique_record.send("b")


def test_a_bulk_takes_one_round_trip_per_thousand_messages_unique_locks_included(broker, redis_db, round_trips, monkeypatch):
    monkeypatch.setattr(broker, "maintenance_chance", 0)
    record.perform_bulk([("warm",)])
    unique_record.perform_bulk([("warm",)])

    before = round_trips["caller"]
    record.perform_bulk([(str(n),) for n in range(2500)])
    plain = round_trips["caller"] - before
    before = round_trips["caller"]
    unique_record.perform_bulk([(str(n),) for n in range(2500)])
    unique = round_trips["caller"] - before

    assert (plain, unique) == (3, 3)
    assert redis_db.zcard("scalejobs:unique:locks") >= 2500


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_the_batch_is_sent_at_commit_and_a_rollback_sends_nothing(redis_db):
    with transaction.atomic():
        sent = record.perform_bulk([("a",), ("b",)])
        assert all(isinstance(message, dramatiq.Message) for message in sent)
        assert queued(redis_db) == []
    assert queued(redis_db) == [["a"], ["b"]]

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            unique_record.perform_bulk([("x",), ("y",)])
            raise RuntimeError("rolled back")
    assert queued(redis_db, UNIQUE_QUEUE) == []
    assert unique_record.perform_later("x") is not None  # no lock was left behind


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_visible_duplicates_are_none_at_once_and_later_ones_dropped_at_commit(redis_db):
    unique_record.perform_later("a")
    with transaction.atomic():
        sent = unique_record.perform_bulk([("a",), ("b",), ("c",)])
        assert [None if message is None else message.args[0] for message in sent] == [None, "b", "c"]
        unique_record.send("c")  # another process sends first
    assert queued(redis_db, UNIQUE_QUEUE) == [["a"], ["c"], ["b"]]


@pytest.mark.django_db(transaction=True)
def test_on_commit_false_sends_at_once_inside_a_transaction(redis_db):
    with transaction.atomic():
        record.perform_bulk([("a",)], on_commit=False)
        assert queued(redis_db) == [["a"]]


def test_on_a_broker_without_enqueue_many_the_batch_is_sent_one_by_one_with_the_same_results(redis_db):
    unique = Unique(engine=UniqueJobs(redis_db, KeySpace("test", "unique")))
    plain = PlainBroker(url=os.environ["REDIS_URL"], namespace="plain", middleware=[unique])
    job = scalejobs.job(broker=plain, actor_name="bulk_on_plain", queue_name="bulk", unique_for=60)(lambda token: None)

    sent = job.perform_bulk([("a",), ("a",), ("b",)])

    assert [None if message is None else message.args[0] for message in sent] == ["a", None, "b"]
    assert redis_db.llen("plain:bulk") == 2
