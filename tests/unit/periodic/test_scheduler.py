"""The periodic engine against a real Redis, with an injected clock: each tick sent once."""

import datetime as dt
import math
import threading
from zoneinfo import ZoneInfo

import pytest

from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.periodic.engine import GRACE_SECONDS, PeriodicScheduler
from scalejobs.periodic.records import Entry, TickStatus
from scalejobs.periodic.schedules import every, parse_cron

UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
START = 1_800_000_000.0  # a multiple of 10 and 60
CATCH_UP = 60.0


class Outbox:
    """Stands in for the broker: remembers what was sent, can be told to fail."""

    def __init__(self):
        self.sent = []
        self.fail_for = set()
        self._lock = threading.Lock()

    def __call__(self, entry, tick):
        if entry.name in self.fail_for:
            raise ConnectionError("broker away")
        with self._lock:
            self.sent.append((entry.name, tick))
            return f"message-{len(self.sent)}"

    def ticks(self, name="beat"):
        return [tick for entry, tick in self.sent if entry == name]


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def make(redis_db, clock, outbox):
    def make(owner="host:1", *, catch_up=CATCH_UP, history=100):
        return PeriodicScheduler(
            redis_db, KeySpace("test", "periodic"), send=outbox, clock=clock, owner=owner, catch_up_seconds=catch_up, history=history
        )

    return make


def beat(seconds=10, **options):
    return Entry(name="beat", job="tests.beat", schedule=every(seconds=seconds), tz=UTC, **options)


def started(scheduler, *entries):
    """Run the first pass, which only notes where each entry starts."""
    assert scheduler.run_due(entries) == []
    return scheduler


def test_the_first_pass_starts_the_entry_from_now_without_back_filling(make, clock, outbox):
    scheduler = make()
    started(scheduler, beat())
    clock.advance(9)
    assert scheduler.run_due([beat()]) == []
    clock.advance(1)
    [record] = scheduler.run_due([beat()])
    assert (record.status, record.tick, record.message_id) == (TickStatus.ENQUEUED, int(START) + 10, "message-1")
    assert outbox.ticks() == [int(START) + 10]


def test_a_due_tick_is_sent_once_however_often_passes_run(make, clock, outbox):
    scheduler = started(make(), beat())
    for _ in range(3):
        clock.advance(5)
        scheduler.run_due([beat()])
        scheduler.run_due([beat()])
    assert outbox.ticks() == [int(START) + 10]


def test_a_believed_leader_working_from_a_stale_cursor_sends_nothing_twice(make, clock, outbox, redis_db):
    one, two = make("host:1"), make("host:2")
    started(one, beat())
    clock.advance(50)
    one.run_due([beat()])
    # The second process read the cursor before the first moved it.
    redis_db.hset("test:periodic:entry:beat", "cursor", int(START))
    assert two.run_due([beat()]) == []
    assert outbox.ticks() == [int(START) + offset for offset in (10, 20, 30, 40, 50)]
    assert two.claims_lost() == 5


def test_racing_threads_of_many_believed_leaders_send_each_tick_once(make, clock, outbox):
    entry = beat(seconds=1)
    schedulers = [make(f"host:{index}") for index in range(4)]
    started(schedulers[0], entry)
    clock.advance(CATCH_UP)
    threads = [threading.Thread(target=scheduler.run_due, args=([entry],)) for scheduler in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ticks = outbox.ticks()
    assert sorted(ticks) == list(range(int(START) + 1, int(START + CATCH_UP) + 1))
    assert len(ticks) == len(set(ticks))


def test_ticks_missed_without_a_leader_are_caught_up_within_the_window_and_older_ones_skipped(make, clock, outbox):
    old_leader = started(make("host:1"), beat())
    clock.advance(10)
    old_leader.run_due([beat()])
    # Nobody leads for five minutes; a new leader takes over.
    clock.advance(300)
    now = int(clock.now)
    records = make("host:2").run_due([beat()], leader_since=clock.now - 0.5)
    skipped, *caught_up = records
    oldest_kept = math.ceil((now - CATCH_UP - GRACE_SECONDS) / 10) * 10
    assert skipped.status is TickStatus.SKIPPED
    assert (skipped.first, skipped.tick) == (int(START) + 20, oldest_kept - 10)
    assert skipped.count == (skipped.tick - skipped.first) // 10 + 1
    *missed, on_time = caught_up
    assert {record.status for record in missed} == {TickStatus.CAUGHT_UP}
    assert (on_time.status, on_time.tick) == (TickStatus.ENQUEUED, now)
    assert [record.tick for record in caught_up] == list(range(oldest_kept, now + 1, 10))
    assert outbox.ticks() == [int(START) + 10] + [record.tick for record in caught_up]


def test_ticks_due_after_the_leader_took_over_are_enqueued_not_caught_up(make, clock):
    scheduler = started(make(), beat())
    clock.advance(20)
    first, second = scheduler.run_due([beat()], leader_since=START + 15)
    assert (first.status, second.status) == (TickStatus.CAUGHT_UP, TickStatus.ENQUEUED)


def test_a_huge_gap_is_skipped_in_one_record_without_walking_every_tick(make, clock, outbox):
    scheduler = started(make(), beat(seconds=1))
    clock.advance(30 * 24 * 3600)
    skipped, *rest = scheduler.run_due([beat(seconds=1)])
    assert skipped.status is TickStatus.SKIPPED and skipped.count == 100_000
    assert len(rest) == len(outbox.ticks()) == CATCH_UP + GRACE_SECONDS + 1


def test_a_paused_entry_is_not_sent_and_resumes_from_its_next_tick(make, clock, outbox):
    scheduler = started(make(), beat())
    scheduler.pause(beat(), by="ada")
    clock.advance(30)
    assert scheduler.run_due([beat()]) == []
    [state] = scheduler.states([beat()])
    assert state.paused.by == "ada" and state.next_tick is None
    clock.advance(5)
    scheduler.resume(beat(), by="ada")
    clock.advance(5)
    [record] = scheduler.run_due([beat()])
    assert record.tick == int(START) + 40
    assert outbox.ticks() == [int(START) + 40]
    statuses = [record.status for record in scheduler.history([beat()])]
    assert statuses == [TickStatus.ENQUEUED, TickStatus.RESUMED, TickStatus.PAUSED]


def test_ticks_that_fell_due_while_paused_are_not_caught_up_on_resume_even_without_a_leader(make, clock, outbox):
    scheduler = started(make(), beat())
    scheduler.pause(beat(), by="ada")
    clock.advance(30)  # no pass runs meanwhile
    scheduler.resume(beat(), by="ada")
    assert scheduler.run_due([beat()]) == []
    assert outbox.sent == []


def test_a_disabled_entry_is_never_sent(make, clock, outbox):
    scheduler = started(make(), beat(enabled=False))
    clock.advance(60)
    assert scheduler.run_due([beat(enabled=False)]) == []
    assert scheduler.states([beat(enabled=False)])[0].next_tick is None


def test_run_now_sends_once_per_request_outside_the_schedule(make, clock, outbox):
    scheduler = make()
    record = scheduler.run_now(beat(), request="form-1", by="ada")
    assert (record.status, record.tick, record.by) == (TickStatus.RUN_NOW, None, "ada")
    assert scheduler.run_now(beat(), request="form-1", by="ada") is None
    assert scheduler.run_now(beat(), request="form-2", by="ada") is not None
    assert outbox.sent == [("beat", None), ("beat", None)]
    assert scheduler.states([beat()])[0].last.status is TickStatus.RUN_NOW


def test_a_failed_send_is_recorded_and_the_other_entries_still_run(make, clock, outbox):
    other = Entry(name="other", job="tests.other", schedule=every(seconds=10), tz=UTC)
    scheduler = started(make(), beat(), other)
    outbox.fail_for.add("beat")
    clock.advance(10)
    failed, sent = scheduler.run_due([beat(), other])
    assert (failed.status, failed.error) == (TickStatus.FAILED, "ConnectionError: broker away")
    assert sent.status is TickStatus.ENQUEUED and outbox.ticks("other") == [int(START) + 10]
    assert scheduler.states([beat()])[0].last is None


def test_a_process_that_stops_leading_mid_pass_sends_no_more(make, clock, outbox):
    scheduler = started(make(), beat())
    clock.advance(50)
    answers = iter([True, True, True, False])
    scheduler.run_due([beat()], leading=lambda: next(answers, False))
    assert outbox.ticks() == [int(START) + 10, int(START) + 20]


def test_history_is_capped_per_entry_and_merged_newest_first(make, clock):
    other = Entry(name="other", job="tests.other", schedule=every(seconds=5), tz=UTC)
    scheduler = started(make(history=3), beat(), other)
    for _ in range(5):
        clock.advance(10)
        scheduler.run_due([beat(), other])
    history = scheduler.history([beat(), other], limit=10)
    assert [record.entry for record in history].count("beat") == 3
    assert [record.at for record in history] == sorted((record.at for record in history), reverse=True)


def test_states_give_the_next_tick_and_the_last_send(make, clock):
    scheduler = started(make(), beat())
    clock.advance(12)
    scheduler.run_due([beat()])
    [state] = scheduler.states([beat()])
    assert state.next_tick == int(START) + 20
    assert (state.last.tick, state.cursor) == (int(START) + 10, int(START) + 10)


def paris_day(scheduler, clock, entry, day_start, hours=24):
    """Run a pass every ten minutes for ``hours`` from ``day_start``; return the sent ticks in Paris time."""
    clock.now = day_start
    started(scheduler, entry)
    for _ in range(hours * 6):
        clock.advance(600)
        scheduler.run_due([entry])
    return [dt.datetime.fromtimestamp(tick, PARIS).strftime("%H:%M %z") for _, tick in scheduler.send.sent]


def test_a_paris_cron_entry_fires_twice_in_the_repeated_autumn_hour_as_croniter_does(make, clock):
    entry = Entry(name="nightly", job="tests.nightly", schedule=parse_cron("30 2 * * *", PARIS), tz=PARIS)
    midnight = dt.datetime(2026, 10, 25, 0, 0, tzinfo=PARIS).timestamp()
    assert paris_day(make(), clock, entry, midnight) == ["02:30 +0200", "02:30 +0100"]


def test_a_paris_cron_entry_fires_after_the_spring_jump_when_its_time_does_not_exist(make, clock):
    entry = Entry(name="nightly", job="tests.nightly", schedule=parse_cron("30 2 * * *", PARIS), tz=PARIS)
    midnight = dt.datetime(2026, 3, 29, 0, 0, tzinfo=PARIS).timestamp()
    assert paris_day(make(), clock, entry, midnight) == ["03:00 +0200"]
