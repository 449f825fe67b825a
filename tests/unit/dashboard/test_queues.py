"""The queue engine counts, browses and changes Dramatiq's own Redis keys correctly."""

from __future__ import annotations

from scalejobs.dashboard.queues import Outcome, Skips
from tests.unit.dashboard.conftest import HEARTBEAT_SECONDS, args_of


def test_summaries_count_ready_delayed_in_flight_and_dead_messages(engine, queues, clock):
    for number in range(5):
        queues.send(number, enqueued_at=clock.now - 90 + number)
    queues.send("later", delay_ms=60_000)
    queues.fetch(count=1)
    queues.kill(count=1)
    queues.send("other", queue="exports", enqueued_at=clock.now - 3)

    summaries = {summary.name: summary for summary in engine.queues.summaries(["default", "exports", "empty"])}

    default = summaries["default"]
    assert (default.ready, default.delayed, default.in_flight, default.dead) == (3, 1, 1, 1)
    assert default.latency(clock.now) == 88  # the oldest still waiting was enqueued 88 s ago
    assert summaries["exports"].latency(clock.now) == 3
    assert (summaries["empty"].ready, summaries["empty"].latency(clock.now)) == (0, 0)


def test_latency_falls_back_on_the_creation_time_of_messages_without_a_stamp(engine, queues):
    message = queues.send("plain")
    [summary] = engine.queues.summaries(["default"])
    assert summary.oldest_enqueued_at == message.message_timestamp / 1000


def test_queue_names_combine_the_ones_workers_consumed_and_the_declared_ones(engine, redis_db):
    redis_db.sadd(engine.keys.queues, "exports", "mail")
    assert engine.queues.names(["default", "default.DQ", "mail"]) == ["default", "exports", "mail"]


def test_ready_messages_page_in_the_order_workers_take_them(engine, queues):
    for number in range(7):
        queues.send(number)

    first = engine.queues.ready("default", start=0, count=3)
    last = engine.queues.ready("default", start=6, count=3)

    assert (args_of(first.items), first.total, first.next_cursor) == ([[0], [1], [2]], 7, "3")
    assert (args_of(last.items), last.next_cursor) == ([[6]], None)


def test_a_ready_message_shows_its_retries_and_the_last_error(engine, queues):
    queues.send("x", retries=2, traceback="Traceback (most recent call last):\n  ...\nValueError: bad row 7\n")
    [message] = engine.queues.ready("default").items
    assert (message.retries, message.last_error, message.actor) == (2, "ValueError: bad row 7", "record")


def test_delayed_messages_are_all_reached_through_the_scan_cursor(engine, queues):
    for number in range(30):
        queues.send(number, delay_ms=60_000 + number)
    queues.fetch("default.DQ", count=10)  # a worker holds these in memory; they still count

    seen, cursor = [], "0"
    while True:
        page = engine.queues.delayed("default", cursor=cursor, count=7)
        seen += [message.args[0] for message in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert page.total == 30
    assert sorted(set(seen)) == list(range(30))


def test_deleting_a_waiting_ready_message_removes_it_and_its_payload(engine, queues, redis_db):
    kept, dropped = queues.send("keep"), queues.send("drop")
    assert engine.queues.delete_ready("default", dropped.options["redis_message_id"]) is Outcome.DONE
    assert args_of(engine.queues.ready("default").items) == [["keep"]]
    assert redis_db.hkeys("dramatiq:default.msgs") == [kept.options["redis_message_id"].encode()]


def test_a_ready_message_a_worker_already_fetched_cannot_be_deleted(engine, queues):
    message = queues.send("taken")
    queues.fetch()
    assert engine.queues.delete_ready("default", message.options["redis_message_id"]) is Outcome.GONE


def test_enqueue_now_moves_a_waiting_delayed_message_to_the_ready_queue_without_a_skip(engine, queues, redis_db, clock):
    delayed = queues.send("soon", delay_ms=3_600_000, retries=1)

    assert engine.queues.promote("default", delayed.options["redis_message_id"]) is Outcome.DONE

    [ready] = queues.ready_payloads()
    assert ready["message_id"] == delayed.message_id
    assert ready["queue_name"] == "default"
    assert "eta" not in ready["options"]
    assert ready["options"]["retries"] == 1
    assert ready["options"]["scalejobs_enqueued_at"] == int(clock.now * 1000)
    assert ready["options"]["redis_message_id"] != delayed.options["redis_message_id"]
    assert redis_db.hlen("dramatiq:default.DQ.msgs") == 0
    assert engine.workers.skips().entries == {}


def test_enqueue_now_on_a_message_a_worker_holds_leaves_a_skip_for_its_stale_copy(engine, queues, redis_db):
    delayed = queues.send("held", delay_ms=3_600_000, retries=2)
    queues.fetch("default.DQ")

    assert engine.queues.promote("default", delayed.options["redis_message_id"]) is Outcome.DONE

    [ready] = queues.ready_payloads()
    skips = engine.workers.skips()
    moved_copy = ready["options"]["redis_message_id"]
    assert not skips.drops(delayed.message_id, 2, moved_copy)
    assert skips.drops(delayed.message_id, 2, "the-copy-the-worker-enqueues-when-due")
    assert not skips.drops(delayed.message_id, 3, "a-later-retry-of-the-moved-copy")
    assert redis_db.hlen("dramatiq:default.DQ.msgs") == 0


def test_a_held_delayed_message_due_within_the_guard_is_left_alone(engine, queues, redis_db):
    delayed = queues.send("imminent", delay_ms=int(HEARTBEAT_SECONDS * 1000))
    queues.fetch("default.DQ")

    assert engine.queues.promote("default", delayed.options["redis_message_id"]) is Outcome.DUE_SOON
    assert engine.queues.cancel("default", delayed.options["redis_message_id"]) is Outcome.DUE_SOON
    assert redis_db.hlen("dramatiq:default.DQ.msgs") == 1
    assert queues.ready_payloads() == []


def test_a_waiting_delayed_message_due_soon_can_still_be_moved(engine, queues):
    delayed = queues.send("imminent", delay_ms=10)
    assert engine.queues.promote("default", delayed.options["redis_message_id"]) is Outcome.DONE


def test_deleting_a_held_delayed_message_makes_workers_drop_every_copy(engine, queues, redis_db):
    delayed = queues.send("held", delay_ms=3_600_000)
    queues.fetch("default.DQ")

    assert engine.queues.cancel("default", delayed.options["redis_message_id"]) is Outcome.DONE

    assert engine.workers.skips().drops(delayed.message_id, 0, "any-copy")
    assert redis_db.hlen("dramatiq:default.DQ.msgs") == 0


def test_deleting_a_waiting_delayed_message_needs_no_skip(engine, queues, redis_db):
    delayed = queues.send("waiting", delay_ms=3_600_000)
    assert engine.queues.cancel("default", delayed.options["redis_message_id"]) is Outcome.DONE
    assert (redis_db.llen("dramatiq:default.DQ"), redis_db.hlen("dramatiq:default.DQ.msgs")) == (0, 0)
    assert engine.workers.skips().entries == {}


def test_acting_on_a_message_that_is_gone_says_so(engine):
    assert engine.queues.promote("default", "no-such-id") is Outcome.GONE
    assert engine.queues.cancel("default", "no-such-id") is Outcome.GONE


def test_skip_entries_expire_a_day_after_the_copy_was_due(engine, queues, clock):
    delayed = queues.send("held", delay_ms=3_600_000)
    queues.fetch("default.DQ")
    engine.queues.cancel("default", delayed.options["redis_message_id"])

    clock.advance(3600 + 24 * 3600 + 1)

    assert engine.workers.skips() == Skips()
