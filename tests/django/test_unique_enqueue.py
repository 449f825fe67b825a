"""Enqueueing unique jobs through perform_later on the configured Redis broker, in and out of transactions."""

import logging

import pytest
import redis
from django.db import transaction

import scalejobs
from scalejobs.errors import StoreUnavailable
from scalejobs.unique import unique_jobs
from scalejobs.unique.engine import UniqueJobs
from scalejobs.unique.middleware import Unique
from tests.testapp.unique_tasks import QUEUE, unique_record

pytestmark = pytest.mark.usefixtures("broker")


def queued(redis_db):
    return redis_db.hlen(f"dramatiq:{QUEUE}.msgs")


def test_a_duplicate_perform_later_returns_none_and_sends_nothing(redis_db):
    assert unique_record.perform_later("a") is not None
    assert unique_record.perform_later("a") is None
    assert queued(redis_db) == 1


def test_a_raw_send_of_a_duplicate_raises(redis_db):
    first = unique_record.send("a")
    with pytest.raises(scalejobs.DuplicateJob) as caught:
        unique_record.send("a")
    assert caught.value.holder == first.message_id


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_a_duplicate_already_queued_returns_none_at_the_call(redis_db):
    unique_record.perform_later("a")
    with transaction.atomic():
        assert unique_record.perform_later("a") is None
    assert queued(redis_db) == 1


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_the_lock_is_taken_at_commit_and_a_rollback_takes_nothing(redis_db):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            assert unique_record.perform_later("a") is not None
            raise RuntimeError("rolled back")
    assert queued(redis_db) == 0
    assert unique_record.perform_later("a") is not None  # no lock was left behind


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_that_appears_before_the_commit_is_dropped_at_commit(redis_db, caplog):
    with caplog.at_level(logging.INFO, logger="scalejobs.unique"):
        with transaction.atomic():
            assert unique_record.perform_later("a") is not None  # nothing holds the lock yet
            winner = unique_record.send("a")  # another process sends first
    assert queued(redis_db) == 1
    assert f"message {winner.message_id} holds its unique lock" in caplog.text


def test_redis_down_at_a_unique_perform_later_raises_a_clear_error_and_sends_nothing(redis_db):
    (middleware,) = [m for m in unique_record.broker.middleware if isinstance(m, Unique)]
    middleware._engine = UniqueJobs(redis.Redis(port=1, socket_connect_timeout=0.2), unique_jobs().keys)
    try:
        with pytest.raises(StoreUnavailable, match="not sent, the unique lock is unreachable"):
            unique_record.perform_later("a")
    finally:
        middleware._engine = None
    assert queued(redis_db) == 0
