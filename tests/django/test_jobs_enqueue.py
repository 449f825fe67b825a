"""Enqueueing through the jobs API against the real Redis broker."""

import datetime as dt

import dramatiq
import pytest
from django.db import transaction
from django.utils import timezone

import scalejobs
from tests.testapp.tasks import record


def queued(redis_db, queue="default"):
    return redis_db.hlen(f"dramatiq:{queue}.msgs")


def delayed(redis_db, queue="default"):
    return redis_db.hlen(f"dramatiq:{queue}.DQ.msgs")


def test_perform_later_returns_the_sent_message(broker, redis_db):
    message = record.perform_later("a", payload={"n": 1})
    assert isinstance(message, dramatiq.Message)
    assert (message.actor_name, message.args, message.kwargs) == ("record", ("a",), {"payload": {"n": 1}})
    assert queued(redis_db) == 1


def test_module_level_perform_later_accepts_any_actor(broker, redis_db):
    message = scalejobs.perform_later(record, "b")
    assert message.args == ("b",)
    assert queued(redis_db) == 1


def test_perform_in_goes_to_the_delay_queue_with_an_eta(broker, redis_db):
    before = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    message = record.perform_in(dt.timedelta(seconds=30), "c")
    assert delayed(redis_db) == 1 and queued(redis_db) == 0
    assert message.options["eta"] >= before + 30_000


def test_perform_in_takes_seconds(broker, redis_db):
    message = record.perform_in(5, "c")
    assert message.queue_name == "default.DQ"


def test_perform_at_delays_until_the_given_time(broker, redis_db):
    when = timezone.now() + dt.timedelta(minutes=2)
    message = record.perform_at(when, "d")
    assert abs(message.options["eta"] - when.timestamp() * 1000) < 1000


def test_perform_at_refuses_a_naive_datetime(broker, redis_db):
    with pytest.raises(ValueError, match="when: .* is a naive datetime"):
        record.perform_at(dt.datetime(2030, 1, 1), "e")
    assert queued(redis_db) + delayed(redis_db) == 0


def test_perform_in_refuses_a_negative_delay(broker, redis_db):
    with pytest.raises(ValueError, match="delay: -1 is negative"):
        record.perform_in(-1, "e")


def test_unsafe_argument_fails_at_enqueue_and_nothing_is_sent(broker, redis_db):
    with pytest.raises(TypeError, match=r"^kwargs\['payload'\]: datetime is not JSON serializable$"):
        record.perform_later("x", payload=timezone.now())
    with pytest.raises(TypeError, match=r"^args\[1\]: datetime is not JSON serializable$"):
        record.send("x", timezone.now())
    assert queued(redis_db) == 0


@pytest.mark.django_db(transaction=True)
def test_inside_atomic_the_message_is_sent_only_after_commit(broker, redis_db):
    with transaction.atomic():
        message = record.perform_later("committed")
        assert isinstance(message, dramatiq.Message)
        assert queued(redis_db) == 0
    assert queued(redis_db) == 1
    stored = redis_db.hvals("dramatiq:default.msgs")[0]
    assert message.message_id.encode() in stored


@pytest.mark.django_db(transaction=True)
def test_inside_atomic_a_rollback_sends_nothing(broker, redis_db):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record.perform_later("rolled back")
            raise RuntimeError("boom")
    assert queued(redis_db) == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_drops_only_its_own_messages(broker, redis_db):
    with transaction.atomic():
        record.perform_later("outer")
        try:
            with transaction.atomic():
                record.perform_later("inner")
                raise RuntimeError
        except RuntimeError:
            pass
    assert queued(redis_db) == 1


@pytest.mark.django_db(transaction=True)
def test_on_commit_false_sends_at_once_inside_atomic(broker, redis_db):
    with transaction.atomic():
        scalejobs.perform_later(record, "now", on_commit=False)
        assert queued(redis_db) == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_declared_with_on_commit_false_sends_at_once(broker, redis_db):
    eager = scalejobs.job(actor_name="eager_record_test", on_commit=False)(lambda: None)
    with transaction.atomic():
        eager.perform_later()
        assert queued(redis_db) == 1
    broker.actors.pop("eager_record_test")


def test_job_decorator_accepts_dramatiq_options_and_rejects_unknown_ones(broker):
    def f():
        pass

    actor = scalejobs.job(actor_name="opts_test", queue_name="q1", max_retries=3, time_limit=1000)(f)
    assert isinstance(actor, scalejobs.Job)
    assert (actor.queue_name, actor.options) == ("q1", {"max_retries": 3, "time_limit": 1000})
    broker.actors.pop("opts_test")
    with pytest.raises(ValueError, match="actor options are undefined: no_such_option"):
        scalejobs.job(actor_name="bad_opts_test", no_such_option=1)(f)


def test_bare_decorator_uses_the_function_name(broker):
    def bare_job_test():
        return 42

    actor = scalejobs.job(bare_job_test)
    assert actor.actor_name == "bare_job_test" and actor() == 42
    broker.actors.pop("bare_job_test")
