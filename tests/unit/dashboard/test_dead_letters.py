"""Dead letters page newest first, filter by actor and error, and go back to work or away."""

from __future__ import annotations

import json

from scalejobs.dashboard.dead_letters import CHUNK
from scalejobs.dashboard.values import DeadLetterFilter
from scalejobs.kernel.dead_letters import Failure
from tests.unit.dashboard.conftest import args_of

DAY_MS = 86_400_000


def bury(engine, queues, *args, actor="record", error="ValueError: boom"):
    """Send one message, dead-letter it, and record its failure as the middleware does."""
    message = queues.send(*args, actor=actor)
    queues.kill()
    failure = Failure(error=error, traceback=f"Traceback...\n{error}\n", failed_at=1.0, worker="host:1")
    engine.dead_letters.record_failure(message.options["redis_message_id"], failure, ttl_ms=DAY_MS)
    return message


def test_dead_letters_page_newest_first_with_their_final_failure(engine, queues, redis_db):
    for number in range(3):
        bury(engine, queues, number, error=f"ValueError: row {number}")

    page = engine.dead_letters.page("default", count=2)

    assert args_of(page.items) == [[2], [1]]
    assert (page.total, page.next_cursor) == (3, "2")
    assert page.items[0].error == "ValueError: row 2"
    assert page.items[0].failure.worker == "host:1"


def test_a_dead_letter_without_a_recorded_failure_shows_the_last_retried_error(engine, queues):
    queues.send("old", retries=3, traceback="Traceback...\nKeyError: 'id'\n")
    queues.kill()
    [letter] = engine.dead_letters.page("default").items
    assert (letter.failure, letter.error) == (None, "KeyError: 'id'")


def test_a_filter_reads_past_non_matching_dead_letters_and_says_where_to_go_on(engine, queues):
    bury(engine, queues, "wanted-old", actor="export")
    for number in range(CHUNK + 10):
        queues.send(number)
    queues.kill(count=CHUNK + 10)
    bury(engine, queues, "wanted-new", actor="export", error="TimeoutError: partner API")

    by_actor = engine.dead_letters.page("default", count=1, match=DeadLetterFilter(actor="export"))
    after = engine.dead_letters.page("default", start=int(by_actor.next_cursor), count=5, match=DeadLetterFilter(actor="export"))
    by_error = engine.dead_letters.page("default", match=DeadLetterFilter(error="partner api"))

    assert (args_of(by_actor.items), by_actor.next_cursor) == ([["wanted-new"]], "1")
    assert (args_of(after.items), after.next_cursor) == ([["wanted-old"]], None)
    assert args_of(by_error.items) == [["wanted-new"]]


def test_retrying_a_dead_letter_puts_it_back_on_its_queue_under_a_new_redis_id(engine, queues, redis_db, clock):
    message = bury(engine, queues, "again")
    dead_id = message.options["redis_message_id"]

    assert engine.dead_letters.retry("default", [dead_id, "unknown"]) == 1

    [ready] = queues.ready_payloads()
    assert (ready["message_id"], ready["args"]) == (message.message_id, ["again"])
    assert ready["options"]["redis_message_id"] != dead_id
    assert ready["options"]["scalejobs_enqueued_at"] == int(clock.now * 1000)
    assert engine.dead_letters.count("default") == 0
    assert redis_db.exists(engine.dead_letters.failures.key(dead_id)) == 0


def test_retrying_all_matching_moves_only_the_matches_oldest_first(engine, queues):
    for number in range(4):
        bury(engine, queues, number, actor="export" if number % 2 else "record")

    assert engine.dead_letters.retry_matching("default", DeadLetterFilter(actor="export")) == 2

    assert [payload["args"] for payload in queues.ready_payloads()] == [[1], [3]]
    assert args_of(engine.dead_letters.page("default").items) == [[2], [0]]


def test_deleting_selected_or_matching_dead_letters_forgets_them_and_their_failures(engine, queues, redis_db):
    first = bury(engine, queues, "first")
    bury(engine, queues, "second", error="TypeError: nope")
    bury(engine, queues, "third", error="TypeError: nope")

    assert engine.dead_letters.delete("default", [first.options["redis_message_id"]]) == 1
    assert engine.dead_letters.delete_matching("default", DeadLetterFilter(error="typeerror")) == 2

    assert engine.dead_letters.count("default") == 0
    assert redis_db.hlen("dramatiq:default.XQ.msgs") == 0
    assert redis_db.keys(engine.dead_letters.failures.key("*")) == []


def test_a_failure_record_expires_with_its_dead_letter(engine, redis_db):
    failure = Failure(error="E", traceback="", failed_at=1.0, worker="w")
    engine.dead_letters.record_failure("abc", failure, ttl_ms=DAY_MS)
    assert 0 < redis_db.pttl(engine.dead_letters.failures.key("abc")) <= DAY_MS
    assert json.loads(redis_db.get(engine.dead_letters.failures.key("abc")))["error"] == "E"
